"""What every Shippy service and client shares.

Importing the package hides two known, harmless warnings of its dependencies
(eventlet's deprecation notice, nameko's pkg_resources import) before either
dependency is imported by any submodule.
"""

from shippy_common.logs import quiet_dependency_warnings

quiet_dependency_warnings()
