"""The monthly cost of a plan's change, from the Azure Retail Prices API.

`estimate(plan_json, region, prices)` turns a `terraform show -json` plan into an `Estimate`:
before, after, the difference and each resource's share, with what could not be priced named and
left out (never counted as nothing), or `unknown` with the reason when the price service is down,
slow or answers nonsense; it never raises. `RetailPrices` is the price service, bounded in time,
pages and bytes, and asked each question once. `over_budget` tells whether the estimate after the
change exceeds an environment's `max_monthly_cost`.

    with RetailPrices() as prices:
        found = estimate(plan_json, request.region, prices)
    blocked = over_budget(found, settings.target(request.environment).max_monthly_cost)

Modules: `prices` (the API), `plan` (a plan's resource changes, side by side, and the
`terraform_data` stand-ins of the modules `idp local` runs), `rules` (which meters each resource
type is billed by), `estimate` (the sums, the `Estimate` type and how it reads).
"""

from workflows.steps.cost.estimate import Estimate, Line, Unpriced, estimate, over_budget
from workflows.steps.cost.prices import PriceServiceError, PriceSource, RetailPrices

__all__ = [
    "Estimate",
    "Line",
    "PriceServiceError",
    "PriceSource",
    "RetailPrices",
    "Unpriced",
    "estimate",
    "over_budget",
]
