"""Where the documents come from: the manifest, the mirror, the official download."""
