"""Type-specific mock outputs and invokes, one module per domain.

Each module registers with :func:`dpengine.mocks.outputs_for`,
:func:`dpengine.mocks.autoname` and :func:`dpengine.mocks.invoke`; all are loaded
when :class:`dpengine.mocks.PlatformMocks` is first made.
"""
