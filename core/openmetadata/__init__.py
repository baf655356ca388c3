"""OpenMetadata's side: the REST client, the request payloads it is sent, and which server versions fit.

- :mod:`core.openmetadata.client`: one pooled session, retries, errors classified by what the run does;
- :mod:`core.openmetadata.payloads`: the request bodies, typed after OpenMetadata's JSON schemas;
- :mod:`core.openmetadata.versions`: the server lines this connector speaks.

This package's ``__init__`` imports nothing, so ``core.openmetadata.versions`` and ``payloads`` can be
used without loading ``requests``.
"""
