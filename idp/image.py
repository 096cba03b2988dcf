"""What a step pod looks like from inside, where more than one side needs to know it.

The templates name these paths (workflows), the step programs default to them
(workflows.steps), the Dockerfile creates them, and `idp local` maps them to folders on the
machine. LOCAL_STATE_ENV is what `idp local` sets instead of the pod's azurerm backend, and
LOCAL_STUB_ENV the phases it stands in for.
"""

from __future__ import annotations

from pathlib import PurePosixPath

MODULES_ROOT = PurePosixPath("/opt/idp/terraform")  # one Terraform root module per kind
POLICIES_ROOT = PurePosixPath("/opt/idp/policies")  # the platform's checkov custom policies
CHECKOV_ENV = "IDP_CHECKOV"  # the checkov program the policy step runs (default: on PATH)
LOCAL_STATE_ENV = "IDP_LOCAL_STATE_DIR"  # Terraform state in this folder (local backend)
# The phases `idp local --stub PHASE=Succeeded` stands in for, comma-separated (local backend only)
LOCAL_STUB_ENV = "IDP_LOCAL_STUB_PHASES"
# The webhook's bearer token, given to the steps that start runs (workflows.steps.runs) only
WEBHOOK_TOKEN_ENV = "IDP_WEBHOOK_TOKEN"  # noqa: S105 - the variable's name, not a token
