"""Constants shared by the service modules."""

from __future__ import annotations

import secrets as _secrets

#: Placeholder used to validate a config for export when a secret has not been entered: exports carry a
#: reference, not the value, so the missing value must not block the download.
_PLACEHOLDER_SECRET = "entered-at-run-time"
#: The environment used to validate an imported YAML: every ``${VAR}`` resolves to a harmless value, so
#: importing never reads the server's own environment into the form.
_IMPORT_PLACEHOLDER = "imported-reference"
#: Salt for fingerprints of the settings a test or preview used, so a stored fingerprint cannot be used
#: to guess a secret offline.
_FINGERPRINT_SALT = _secrets.token_bytes(16)
