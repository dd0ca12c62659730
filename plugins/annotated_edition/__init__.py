"""Annotated editions for MkDocs: glossary links and anchored notes from YAML.

The pure core (``loader``, ``matcher``, ``anchoring``, ``edition``,
``glossary``, ``render``) never imports MkDocs; ``plugin`` wires it into a
build and ``cli`` checks an edition without building it.
"""

__version__ = "0.1.0"
