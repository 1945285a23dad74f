"""The build engine: what makes ``kg build`` fast on a large archive, kept beside the pipeline.

:mod:`kg.pipeline` says what a build does, stage by stage, over plain data.
The engine does the same work faster: a cache of what every form gave
(:mod:`kg.engine.cache`), worker processes, outputs spliced from cached
fragments, an in-memory store of what the analytics read, memory helpers and
spaCy's entities remembered across builds. Stage modules never import it.
"""
