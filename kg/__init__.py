"""portfolio-kg: knowledge graphs and portfolio insights from Accelerator Lab forms.

The pipeline runs one module per stage: :mod:`kg.forms` reads a Markdown
export into a :class:`~kg.forms.Form`, :mod:`kg.extract` turns it into an
:class:`~kg.extract.Extraction`, :mod:`kg.graph` writes RDF, :mod:`kg.build`
runs the stages over a folder and :mod:`kg.query` answers SPARQL.
"""

__version__ = "0.1.0"
