"""3D views of the scene: the only package that imports pyvista / vtk.

``scene3d.Scene3D`` renders a world and a state off-screen into an RGB array;
``worker.SceneWorker`` does so on its own thread for the interactive app.
"""
