"""What is checked about a plan and the account beyond the diff: drift, prices, the watch.

Data and computation only; :mod:`reconciler.render` shows the results.
"""
