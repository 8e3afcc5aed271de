"""Translation engines, the registry that routes language pairs to them, and language identification.

Nothing here knows about brands, HTTP or Redis. Importing this package loads no model.
"""
