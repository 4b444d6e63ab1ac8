"""The plugin entry point: serve the components over Pulumi's provider protocol.

``component_provider_host`` infers the package schema from the components' typed ``args`` and
answers GetSchema and Construct (pulumi/provider/experimental/host.py).
"""

from dataplatform.components.provider import COMPONENTS, PACKAGE_NAME
from pulumi.provider.experimental import component_provider_host

if __name__ == "__main__":
    component_provider_host(COMPONENTS, PACKAGE_NAME)
