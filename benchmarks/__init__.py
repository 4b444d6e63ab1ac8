"""Benchmarks: how fast the program plans and checks offline, how it scales, how long it deploys.

``python -m benchmarks.run`` measures (``benchmarks/README.md`` says what and how); the modules, each
importing only those listed before it:

- ``measure``: timing with the collector's share, peak memory, linear fits, the machine;
- ``deploy_times``: estimated creation times and the orderings a deployment needs;
- ``criticalpath``: the deploy critical path of a captured stack (pure, unit-tested);
- ``programs``: the stacks and the floor program as the engine runs them, the policy pack;
- ``processes``: whole-process figures (``dataplatform check`` against a floor process, checkov);
- ``sections``: one stack's figures, and the scaling runs;
- ``suite``: the test suite's wall time;
- ``report``: the goals each figure is judged against, and the printed report;
- ``run``: the command line (parse, measure, print, write the JSON);
- ``readme_figures``: the figures README.md quotes, from the commands that give them.
"""
