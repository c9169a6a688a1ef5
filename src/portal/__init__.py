"""The trust portal: buyers read our security posture, request access, accept the NDA and download the released
procurement pack stamped for them; sales and security approve, revoke and read the access log.

Built from the same data and the same released, immutable pack as the PDFs (`docskit.procurement`), so what a
buyer downloads is what legal signed off. `./dev portal` serves it on 127.0.0.1.
"""
