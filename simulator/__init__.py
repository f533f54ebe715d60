"""jointsim: a training simulator for image-guided joint injections.

The core (scenario, anatomy, state, step, session, replay) is pure Python and NumPy; display
libraries (vtk, pyvista, pygame) are imported only by ``simulator.viz`` and ``simulator.app``.
"""

__version__ = "0.1.0"
