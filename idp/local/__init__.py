"""`idp local`: a Workflow run on this machine with the Argo controller's rules.

It reads compiled YAML only (the Workflow the Sensor would create, the WorkflowTemplate, the
ConfigMaps) and never imports Hera, `workflows` or `events`. Modules, by job:

    expr, govaluate, templating, depends   the languages the controller evaluates
    spec                                   the fields it implements; anything else is refused
    nodes, controller                      the node tree and the controller's rules
    pods                                   container nodes as local processes
    approval, clock, mutex                 answers, time and the per-stack lock
    run                                    one run, from compiled objects to the finished Workflow
"""
