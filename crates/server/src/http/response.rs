//! Writing a response: JSON bodies with their ETag, list bodies written as items come, the
//! statuses of PUT and DELETE.

use crate::error::ApiError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A JSON response from bytes already serialised, with an ETag when it is a resource.
pub(crate) fn json_bytes_response(
    status: StatusCode,
    body: Vec<u8>,
    etag: Option<&str>,
) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(t).ok()) {
        h.insert(header::ETAG, tag);
    }
    res
}

/// A JSON response (lists, the availability string); no ETag.
pub(crate) fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(b) => json_bytes_response(status, b, None),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// A resource with its ETag. The ETag is computed by the caller from the resource's canonical
/// representation, so it is the same whatever api-version or `$expand` the request used.
pub(crate) fn resource_response<T: Serialize>(
    status: StatusCode,
    value: &T,
    etag: &str,
) -> Response {
    match serde_json::to_vec(value) {
        Ok(b) => json_bytes_response(status, b, Some(etag)),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// A list answer written into one buffer as its items are produced:
/// `{"value":[item,item,...],"nextLink":next}`, with no `nextLink` on the last page.
pub(crate) struct ListBody {
    buf: Vec<u8>,
    items: usize,
}

impl ListBody {
    pub(crate) fn with_capacity(bytes: usize) -> ListBody {
        let mut buf = Vec::with_capacity(bytes + 64);
        buf.extend_from_slice(b"{\"value\":[");
        ListBody { buf, items: 0 }
    }

    /// The buffer to write the next item's JSON into.
    pub(crate) fn next_item(&mut self) -> &mut Vec<u8> {
        if self.items > 0 {
            self.buf.push(b',');
        }
        self.items += 1;
        &mut self.buf
    }

    pub(crate) fn into_response(mut self, next: Option<&str>) -> Response {
        self.buf.push(b']');
        if let Some(link) = next {
            self.buf.extend_from_slice(b",\"nextLink\":");
            if serde_json::to_writer(&mut self.buf, link).is_err() {
                return ApiError::internal("nextLink").into_response();
            }
        }
        self.buf.push(b'}');
        json_bytes_response(StatusCode::OK, self.buf, None)
    }
}

/// The status of a PUT: 201 when it created the resource, 200 when it replaced it.
pub(crate) fn put_status(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

/// The answer to a DELETE: 200 when the resource was deleted, 204 when there was none.
pub(crate) fn delete_response(existed: bool) -> Response {
    if existed {
        StatusCode::OK
    } else {
        StatusCode::NO_CONTENT
    }
    .into_response()
}
