"""`idp local`: a Workflow run on this machine with the Argo controller's rules.

It reads compiled YAML only (the Workflow the Sensor would create, the WorkflowTemplate, the
ConfigMaps, a CronWorkflow) and never imports Hera, `workflows` or `events`; the two commands'
glue, `idp.commands.local`, compiles and renders the Sensor's Workflow and hands them over.
Modules, by job:

    expr, govaluate, templating, depends   the languages the controller evaluates
    spec                                   the fields it implements; anything else is refused
    nodes, controller, items               the node tree, the controller's rules, task expansion
    cron                                   the Workflow a CronWorkflow's schedule makes
    pods                                   container nodes as local processes
    approval, clock, mutex                 answers, time and the per-stack lock
    run                                    one run, from compiled objects to the finished Workflow
    compiled                               the compiled objects, read back from YAML
    command                                `idp local` and `idp local-cron`: options, run, exit code
"""
