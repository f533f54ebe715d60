"""The interactive trainer (``jointsim run``): the only package that imports pygame.

- ``bindings``: controls as data (``default_bindings.yaml``), loaded with clear errors.
- ``gamepad`` / ``controls``: hot-pluggable gamepads and the keyboard, read through bindings.
- ``trainee``: the policy that turns the controls into ``Action``s for the ``Session``.
- ``loop``: the window and its fixed-timestep loop (``App``).
- ``imaging`` / ``hud`` / ``screens`` / ``draw``: what is drawn; ``feedback``: prompts.
- ``results``: where each attempt's log and score are saved; ``profile``: frame times.
"""
