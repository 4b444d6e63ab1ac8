"""Private ECR repositories for the pipeline services (:class:`ContainerRegistry`)."""

from .component import ContainerRegistry as ContainerRegistry
from .component import ContainerRegistryArgs as ContainerRegistryArgs
from .documents import lifecycle_policy as lifecycle_policy
from .documents import lifecycle_policy_problems as lifecycle_policy_problems
from .settings import ImageRepositorySettings as ImageRepositorySettings
from .settings import repository_name_problem as repository_name_problem
