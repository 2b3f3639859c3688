//! A pod as the API server sends it (k8s-openapi's JSON, as kube reads
//! it), then into the domain as the pods views see it.
#![no_main]

use k8s_openapi::api::core::v1::Pod;
use libfuzzer_sys::fuzz_target;
use triage_core::backend::cluster::convert;
use triage_core::secret::Redactor;
use triage_fuzz::assert_safe;

fuzz_target!(|data: &[u8]| {
    if let Ok(pod) = serde_json::from_slice::<Pod>(data) {
        let secrets = Redactor::default();
        let key = convert::key(&pod, &secrets);
        let converted = convert::pod(&pod, &secrets);
        assert_eq!(converted.key, key);
        assert_safe(&converted.status);
    }
});
