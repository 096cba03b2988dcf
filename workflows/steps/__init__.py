"""The step programs the provisioning WorkflowTemplates run: `python -m workflows.steps COMMAND`.

One sub-command per step, run in the platform-tools image. Inputs are arguments and environment
variables only (request values never pass through a shell); outputs are plain files under
`--out` for Argo to collect; a failure is a non-zero exit with one line on stderr naming the
reason (exit 1: the step failed; exit 2: bad request, one line per field, or bad arguments;
exit 3: the plan is blocked by policy; exit 4: the plan's cost is over the environment's
max_monthly_cost; exit 130: interrupted, by SIGINT or SIGTERM, after Terraform stopped).
This package never imports Hera, and imports pydantic, the Azure SDK, SMTP and HTTP only in
the commands that use them.

Environment, every command:
  IDP_REQUEST     the whole request JSON (set from a workflow parameter, never via a shell)
  IDP_*           settings (`idp.settings`), e.g. IDP_TERRAFORM_BACKEND__STORAGE_ACCOUNT,
                  IDP_ALLOWED_REGIONS='["eastus"]', IDP_AZURE_AUTH, IDP_CALLBACK_URL,
                  IDP_ARGO_UI_URL, IDP_NAMESPACE
  Azure credentials (see `credentials`): workload identity's AZURE_CLIENT_ID, AZURE_TENANT_ID,
  AZURE_FEDERATED_TOKEN_FILE; or the platform Secret as variables, or as files in
  IDP_PLATFORM_SECRET_DIR (one file per variable). AZURE_* and ARM_* are filled from each
  other, so the Azure SDK and Terraform see the same identity.
Terraform runs with an argument list in WORK/stack, with TF_IN_AUTOMATION=1, TF_INPUT=0 and
CHECKPOINT_DISABLE=1; init, plan and apply stream `-json` messages to stdout as plain lines.

Options of the commands that run Terraform (plan, apply, drift); relative paths are fine:
  --module DIR    root module, may be read-only (default /opt/idp/terraform/KIND); copied
                  afresh to WORK/stack, where Terraform runs
  --work DIR      a writable folder (the pod's emptyDir)
  --out DIR       where the output files go
  --backend B     `azurerm` (default): resource_group_name, storage_account_name,
                  container_name from the environment's terraform_backend, key
                  KIND/ENVIRONMENT/NAME.tfstate, use_azuread_auth=true, and use_oidc=true
                  when settings.azure_auth is workload-identity; `local` (tests, `idp local`):
                  the state file STATE_DIR/KIND/ENVIRONMENT/NAME.tfstate (--state-dir,
                  default WORK/state)
A saved plan waits beside the state (`planstore`), never in OUT; so does the stack's registry
entry (`registry`).

Commands (each phase is named in the log, the `phases` output and a failure's message, see
`phases`; IDP_LOCAL_STUB_PHASES stands in for the phases it names, those that reach Azure or
checkov (preflight, policy, cost, verify), with the local backend only):
  plan --kind K --work DIR --out OUT [--module DIR] [--backend B] [--policies DIR]
      validate (the request and the IDP_ARG_* arguments; exit 2), preflight (the region and
      the resource providers in Azure), plan (`init`, `plan -detailed-exitcode -out`,
      `-destroy` for a destroy), policy (checkov and the platform's policies on the redacted
      plan; a blocking finding exits 3), cost (the monthly cost of the change from the Azure
      Retail Prices API; over the environment's max_monthly_cost exits 4). Outputs: phases,
      has_changes, summary, changes, sha256, findings, cost, waived, next (approve, apply for
      a waived destroy, done); artifacts plan.json, plan.txt, policy.json, cost.json
      (sensitive values redacted).
  apply --kind K --work DIR --out OUT --sha256 HEX --next NEXT [--approval A] [--labels L]
      decide (only exactly YES by someone other than the requester applies; another answer,
      or none after approve, applies nothing and exits 0; none after `--next apply` needs the
      reaper's waiver, read again from the registry), apply (the saved plan by its sha256,
      checked to be this request's plan of this stack's state, never planned again; a
      provision is registered first), verify (every ARM id of a `*_id` output tagged with the
      request id; after a destroy nothing tagged with the stack, then the registry entry and
      the state go), report. Outputs: phases, outputs (non-sensitive), verified; artifacts
      outputs.json (sensitive values redacted), report.json.
  notify --kind K [--summary TEXT] [--workflow NAME] [--namespace NS] [--request-id ID]
         [--requester-email E]
      Tells the approvers (settings.callback_url, e-mail to IDP_APPROVERS) that a plan waits.
  finish --kind K --out OUT [--status S] [--failures F] [plan, approval and apply facts]
      The exit handler: decides the outcome (`outcome.decide`), sends the one final notice,
      deletes a saved plan that was not applied. Writes OUT/outcome, OUT/reason,
      OUT/delivery; exits 1 unless the request was done or had nothing to do.
  stacks, drift, expire
      The day-two CronWorkflows' commands (`daytwo`).
"""
