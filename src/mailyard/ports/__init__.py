"""The small interfaces the core needs, each written from the side of the code that uses it.

One module per consumer: `access`, `identities`, `templates`, `recipients`, `tasks`, `scheduling`, `sending`
(with `mailer`), `single_sends`, `reporting`, `suppressions`, `unsubscribe`; `clock`, `secrets` and `store`
are shared by all of them. Adapters (store, mail, system) implement them.
"""
