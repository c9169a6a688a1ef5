"""Tenant onboarding: the checklist model, its time budget, the region/data-mode/key decision tree and tenant kits.

Data lives in data/onboarding.yaml and data/decision_tree.yaml; the handbook pages, `./dev decide`,
`./dev onboard` and the onboarding content checks all read it through this package.
"""
