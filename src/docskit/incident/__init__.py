"""Support and incident management: response targets, severity criteria, runbooks, incident messages and checks.

Template helpers register themselves as template globals through `docskit.incident.templating`, which
`docskit.tables` imports. Loading `docskit.tables` first, here, keeps that import order the same whichever
module of this package is imported first.
"""

from .. import tables as _tables  # noqa: F401
