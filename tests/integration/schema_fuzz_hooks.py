"""schemathesis hooks of the fuzz test (loaded through ``SCHEMATHESIS_HOOKS``).

Each exclusion names one behaviour that is not the application's to document.
"""

import schemathesis


def _is_bodyless_multipart_refusal(case, response) -> bool:
    """daphne's HTTP layer (Twisted) answers a multipart body without any part (``--boundary--``)
    with a bare ``400`` without headers, before the request reaches Django."""
    return (
        response.status_code == 400
        and "content-type" not in response.headers
        and (case.media_type or "").startswith("multipart/form-data")
    )


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    return not _is_bodyless_multipart_refusal(case, response)
