"""Imaging: pure views of the simulation state (``state -> ndarray``).

``simulator.imaging.ultrasound`` renders B-mode images, ``simulator.imaging.fluoro``
fluoroscopy; neither stores anything in the state, and per-frame noise derives from
``(seed, tick)`` so any frame can be re-rendered from a log.
"""
