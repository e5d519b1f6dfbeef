//! The crate's one `impl ClientHooks`: every generated call passes through here. It only
//! delegates: headers from the call's context in `pre`, one recorded attempt (`retry.rs`) in `exec`.

use crate::call::CallContext;
use crate::generated::Client;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::AUTHORIZATION;

impl ClientHooks<CallContext> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let ctx = self.inner();
        let headers = request.headers_mut();
        // progenitor sends `api-version: <info.version>` on every request (progenitor#1120);
        // OpenRouter does not use it and the official SDKs do not send it.
        headers.remove("api-version");
        // Set here, per call, not as a client default header: the charge call must carry its
        // own bearer and never the client's API key.
        if let Some(auth) = &ctx.auth {
            headers.insert(AUTHORIZATION, auth.clone());
        }
        for (name, value) in &ctx.extra_headers {
            headers.insert(name, value.clone());
        }
        Ok(())
    }

    async fn exec(&self, request: reqwest::Request, _info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        crate::retry::attempt(self.client(), request, self.inner()).await
    }
}
