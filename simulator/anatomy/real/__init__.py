"""Real human bones (Visible Human Male and Female, Human Reference Atlas) for the generators.

``extract`` turns the source glTF files into the compressed RAS-millimetre meshes shipped in
``meshes/sources/`` (run once, offline; needs trimesh and pymeshfix); ``bones`` reads those
at build time; ``landmarks`` measures the named points and axes on them.
"""
