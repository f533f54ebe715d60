"""Results for learning platforms: xAPI 2.0 statements (:mod:`.statements`, checked by
:mod:`.validate`, delivered by :mod:`.lrs`) and a cmi5 course package (:mod:`.cmi5`).

Nothing here imports more than the standard library until a command needs it (lxml for the
cmi5 schema check, SQLAlchemy for reading the store).
"""
