"""The versioned procurement PDF pack: legal and security documents rendered from data with WeasyPrint.

Modules: catalog (which documents, which versions), htmldoc (Jinja to print HTML), diagram (architecture SVG),
gate (release gate and review-date check), build (the pack: cache, process pool, manifest, zip, immutability),
distribute (stamped copies and the distribution log), redline (section-by-section diff of two versions).
"""
