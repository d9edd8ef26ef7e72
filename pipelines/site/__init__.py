"""The scorecard site: view model, formatting, charts and templates."""
