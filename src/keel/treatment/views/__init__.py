"""Pages for prescribers, nurses and admins: the dosing window, a patient's medication record, program policy.
Views parse the form, call one service, render; guard rails and permissions live in the services.

One module per page: `dosing` (the window), `medication` (a patient's medication record and one view per
action on it), `start` (the buprenorphine start), `intake`, `policy` (program policy), `me` (a patient's own
pages); `common` holds what they share."""
