"""Group robots (企业微信 / 钉钉 群机器人): which reminders reach which group, the messages, and their delivery.

Which groups hear of a reminder. A domain app may name the organizations itself (``Candidate.organizations``);
otherwise they are the organizations where the reminder's recipients hold a role — the action item's responsible
party, the activity's lead and co-organizers, the agreement's parties, the committee of an escalation — keeping only
those whose own scope may see the reminded object, so a group never hears of something its organization could not
open (a secretary who is also a liaison elsewhere does not leak one organization's items into the other's group).
Each enabled robot of such an organization posts the reminder if it takes that kind (``WebhookEndpoint.kinds``,
empty = every kind).

Deliveries are rows like notifications (portal/sweep.py): the sweep's plan step inserts one
``WebhookDelivery`` per (robot, kind, object, occurrence) set-based with ``ignore_conflicts`` and cancels the pending
ones that are no longer candidates; then they are claimed (``SELECT … FOR UPDATE SKIP LOCKED`` + a conditional update
stamped with a claim token, portal/claims.py) and posted outside any transaction, each post within a total
deadline of ``WEBHOOK_TIMEOUT`` seconds. A failure
(timeout, HTTP status, ``errcode`` ≠ 0 in the reply) is recorded and retried after 5, 10, 20, 40 minutes, then failed;
a robot that did not answer is skipped for the rest of that run, so one dead group never holds up the others.

At volume (issue 11): 企业微信 and 钉钉 take at most 20 messages a minute per robot and drop the rest, so each robot
posts at most ``WEBHOOK_POSTS_PER_MINUTE`` (18) per rolling minute, its recent post times kept on the endpoint
(``plan_posts``). A robot owed more reminders than it may still post gets digests — as many reminders per message as
``MAX_MARKDOWN_BYTES`` allows (``pack``) — and what is over its budget waits, ``pending`` and due when its window
frees: never dropped, never failed. What went out is logged per claim (portal/claims.py ``SentLog``) and the states
are written per batch, so a worker dying mid-batch re-posts at most the one message in flight.

The package, by job:

* ``client``: the HTTP post to a robot (signing, the whole post's deadline) and the markdown of one message;
* ``plan``: what a sweep owes each robot — which groups hear of which reminder, the digests, the pacing;
* ``deliver``: claim, post and record (called by the reminder sweep and by the test-message task);
* ``selectors``: the reads behind the pages; ``services``: the writes behind the settings pages
  (``webhook_endpoint_*``, taking the acting user);
* ``sections``: the organization page's "group robots" card (``portal.home.register_section``).
"""
