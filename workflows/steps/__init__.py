"""The step programs the provisioning WorkflowTemplates run: `python -m workflows.steps COMMAND`.

One sub-command per step, run in the platform-tools image. Inputs are arguments and environment
variables only (request values never pass through a shell); outputs are plain files under
`--out` for Argo to collect; a failure is a non-zero exit with one line on stderr naming the
reason (exit 2: bad request, one line per field, or bad arguments; exit 1: the step failed).
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

Options of the Terraform commands (plan, apply, verify, report); relative paths are fine:
  --module DIR    root module, may be read-only (default /opt/idp/terraform/KIND); copied
                  afresh to WORK/stack, where Terraform runs
  --work DIR      a writable folder (the pod's emptyDir)
  --out DIR       where output files go (accepted and unused by apply and verify)
  --backend B     `azurerm` (default): resource_group_name, storage_account_name,
                  container_name from settings.terraform_backend, key
                  KIND/ENVIRONMENT/NAME.tfstate, use_azuread_auth=true, and use_oidc=true
                  when settings.azure_auth is workload-identity; `local` (tests): the state
                  file STATE_DIR/KIND/ENVIRONMENT/NAME.tfstate (--state-dir, default WORK/state)

Commands:
  validate --kind K
      The request must pass the kind's model with settings.allowed_regions. Writes nothing.
  preflight --kind K
      Azure (DefaultAzureCredential; subscription from AZURE_SUBSCRIPTION_ID or
      ARM_SUBSCRIPTION_ID): the region is a location of the subscription, and the resource
      providers of the kind and resource_type are Registered.
  plan --kind K --work DIR --out OUT [--module DIR] [--backend B] [--state-dir DIR]
      Writes WORK/stack/request.tfvars.json (the validated request, every field), runs
      `init` with the backend and `plan -detailed-exitcode -out` (`-destroy` when the action
      is destroy). Writes OUT/plan.tfplan, OUT/plan.json (show -json), OUT/plan.txt
      (show -no-color), OUT/has_changes (true/false), OUT/summary ("2 to add, 0 to change,
      0 to destroy") and OUT/sha256 (hex of plan.tfplan), parameters without a newline.
  apply --kind K --work DIR --plan FILE --sha256 HEX [--module DIR] [--out OUT]
      Refuses, without running Terraform, unless FILE's sha256 is HEX. Otherwise restores the
      plan's dependency lock file into a fresh copy of the module, runs `init -backend=false`
      (a saved plan records its backend, so it is applied to the very state it was planned
      against), checks that the copy is the configuration the plan was made from, and runs
      `apply FILE`. IDP_REQUEST is not read.
  verify --kind K --work DIR [--module DIR] [--backend B] [--state-dir DIR] [--out OUT]
      Lists the resource groups and resources tagged request_id=<id> and fails if an ARM id
      of a `*_id` output is missing (case-insensitive); with action destroy, fails if anything
      tagged remains (Terraform is not run then).
  report --kind K --work DIR --out OUT [--module DIR] [--backend B] [--state-dir DIR]
      OUT/outputs.json: `terraform output -json`, sensitive values included (an artifact,
      never a parameter); OUT/outputs: the non-sensitive outputs as one JSON object.
  notify --kind K [--phase P] [--status S] [--has-changes V] [--approval A]
         [--waited-from T --waited-until T --approval-timeout D] [--summary TEXT]
         [--outputs JSON] [--failures JSON] [--workflow NAME] [--namespace NS] [--out OUT]
      The phase (succeeded, failed, rejected, expired, no-changes, awaiting-approval) comes
      from `notify.decide_phase`: --status {{workflow.status}} Failed or Error means failed;
      rejected (or an approval NO) becomes expired when the approval lasted its whole
      --approval-timeout (--waited-from/--waited-until: the approve task's startedAt and
      finishedAt); else --phase, else it follows from --has-changes and --approval.
      --failures ({{workflow.failures}}) gives a failure its summary when --summary is empty.
      POSTs {request_id, kind, phase, summary, outputs, workflow_url} to
      settings.callback_url (skipped when empty; bearer token from IDP_CALLBACK_TOKEN if set;
      10 s timeout; 3 attempts on connection errors, 408, 429 and 5xx). E-mails the requester
      (for awaiting-approval: IDP_APPROVERS, comma-separated) when IDP_SMTP_HOST is set:
      STARTTLS on IDP_SMTP_PORT (587), from IDP_SMTP_FROM, login IDP_SMTP_USERNAME and
      IDP_SMTP_PASSWORD. A bad request still gets its notice (no e-mail). Writes OUT/phase
      when --out is given.
"""
