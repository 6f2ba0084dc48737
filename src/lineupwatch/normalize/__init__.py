"""Normalize: one Hub model object -> a typed repo record (generation, line, size point, variant).

Pure: data in, records out, no I/O and no clock. `payload` reads an object defensively, `names`
reads a repo name, `sizes` picks the parameter counts and their source, `lines` maps the Hub's
task list, `known_facts` adds what the bundled public facts say, `records` resolves a batch
(copies take their base's size). May import: config.
"""
