//! The trust-store service: state, the actions, and answers shaped as the botocore model of
//! `elbv2/2015-12-01` says (`<XxxResponse><XxxResult>`, lists as `<member>`, errors as
//! `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bytes::Bytes;

use crate::query::Form;

const NS: &str = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";
const ACCOUNT: &str = "123456789012";
/// Tags on CreateTrustStore that set what an account's (raised or lowered) quotas and a flaky
/// service would: test knobs, each scoped to its trust store.
/// Revocation files the trust store may hold (default 30).
pub const TAG_MAX_FILES: &str = "crlkit-emulator:max-revocation-files";
/// Revoked entries the trust store may hold (default 500,000).
pub const TAG_MAX_ENTRIES: &str = "crlkit-emulator:max-revoked-entries";
/// The first N calls naming the trust store are answered `Throttling`.
pub const TAG_THROTTLE_FIRST: &str = "crlkit-emulator:throttle-first";
/// The trust store shows `CREATING` to its first N `DescribeTrustStores` (and refuses
/// revocation calls with `TrustStoreNotReady` until then).
pub const TAG_CREATING_DESCRIBES: &str = "crlkit-emulator:creating-describes";

/// An error answer.
#[derive(Debug)]
pub struct Fault {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

pub fn fault(code: &'static str, message: impl Into<String>) -> Fault {
    Fault { status: 400, code, message: message.into() }
}

fn validation(message: impl Into<String>) -> Fault {
    fault("ValidationError", message)
}

/// Reads a revocation file or CA bundle from S3: `(bucket, key, version)` to bytes, `None`
/// when there is no such object.
pub type S3Read<'a> = &'a dyn Fn(&str, &str, Option<&str>) -> Result<Option<Bytes>, String>;

struct File {
    id: i64,
    entries: u64,
    pem: Bytes,
}

struct TrustStore {
    arn: String,
    name: String,
    region: String,
    ca_certificates: u32,
    files: Vec<File>,
    max_files: u64,
    max_entries: u64,
    throttle_left: u64,
    /// `DescribeTrustStores` answers left that show it `CREATING`.
    creating_left: u64,
    /// Its tags, in the order added (`AddTags` replaces a key's value in place).
    tags: Vec<(String, String)>,
}

impl TrustStore {
    fn total(&self) -> u64 {
        self.files.iter().map(|f| f.entries).sum()
    }
}

/// A fault set at run time (`POST /_faults`): the next `times` calls of `action` naming
/// `arn` fail this way. Scoped to one trust store, so tests sharing the emulator never see each
/// other's faults.
#[derive(Clone, Debug)]
pub struct FaultRule {
    pub arn: String,
    pub action: String,
    pub times: u64,
    pub kind: FaultKind,
}

/// How a call fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Answered with this error and status, nothing done.
    Error { status: u16, code: &'static str },
    /// Done, then the connection is closed without an answer (a lost response: the client's
    /// retry then repeats a call that already took effect).
    DropAfterCommit,
    /// Answered after this many milliseconds.
    Delay { millis: u64 },
    /// An add counts its CRL's entries off by this much (ELB's count differs from the CRL's).
    Miscount { by: i64 },
}

impl FaultKind {
    /// Parse the `/_faults` form's `Kind` (`error`, `drop-after-commit`, `delay`, `miscount`)
    /// with its parameters (`Code`, `Status`, `Millis`, `By`).
    pub fn parse(form: &Form) -> Result<Self, String> {
        let number = |name: &str, default: &str| -> Result<i64, String> {
            form.get(name).unwrap_or(default).parse().map_err(|_| format!("{name} must be a number"))
        };
        Ok(match form.get("Kind").unwrap_or("error") {
            "error" => {
                // Only codes the real service answers with (their retry classes differ).
                let code = match form.get("Code").unwrap_or("InternalFailure") {
                    "InternalFailure" => "InternalFailure",
                    "ServiceUnavailable" => "ServiceUnavailable",
                    "Throttling" => "Throttling",
                    "RevocationIdNotFound" => "RevocationIdNotFound",
                    "TrustStoreNotFound" => "TrustStoreNotFound",
                    "AccessDenied" => "AccessDenied",
                    other => return Err(format!("Code {other} is not one the emulator answers with")),
                };
                let status = number("Status", if code.starts_with("Internal") { "500" } else { "400" })?;
                FaultKind::Error { status: u16::try_from(status).map_err(|_| "Status")?, code }
            }
            "drop-after-commit" => FaultKind::DropAfterCommit,
            "delay" => FaultKind::Delay { millis: u64::try_from(number("Millis", "1000")?).map_err(|_| "Millis")? },
            "miscount" => FaultKind::Miscount { by: number("By", "1")? },
            other => return Err(format!("Kind {other}: error, drop-after-commit, delay or miscount")),
        })
    }
}

/// All trust stores of the emulated account, in every region.
#[derive(Default)]
pub struct State {
    stores: BTreeMap<String, TrustStore>,
    next_revocation_id: i64,
    next_store: u64,
    /// Calls still to be answered `Throttling`, whatever they name.
    pub throttle_all: u64,
    /// Calls answered `Throttling` so far (tests read it).
    pub throttled: u64,
    /// Faults still to happen.
    pub faults: Vec<FaultRule>,
    /// Every call naming a trust store, in order: `(arn, action)` (`POST /_calls` lists them).
    pub calls: Vec<(String, String)>,
    /// The add being answered counts its entries off by this much (a `miscount` fault).
    pub miscount: i64,
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A success answer for `action` with `result` inside `<actionResult>`.
pub fn answer(action: &str, result: &str, request_id: &str) -> Vec<u8> {
    format!(
        "<{action}Response xmlns=\"{NS}\">\n  <{action}Result>{result}</{action}Result>\n  \
         <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n"
    )
    .into_bytes()
}

/// An error answer.
pub fn error_body(f: &Fault, request_id: &str) -> Vec<u8> {
    let kind = if f.status >= 500 { "Receiver" } else { "Sender" };
    format!(
        "<ErrorResponse xmlns=\"{NS}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{}</Code>\n    \
         <Message>{}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
        f.code,
        xml_escape(&f.message)
    )
    .into_bytes()
}

fn trust_store_xml(t: &TrustStore) -> String {
    format!(
        "<member><Name>{}</Name><TrustStoreArn>{}</TrustStoreArn><Status>{}</Status>\
         <NumberOfCaCertificates>{}</NumberOfCaCertificates><TotalRevokedEntries>{}</TotalRevokedEntries></member>",
        xml_escape(&t.name),
        xml_escape(&t.arn),
        if t.creating_left > 0 { "CREATING" } else { "ACTIVE" },
        t.ca_certificates,
        t.total()
    )
}

fn revocation_xml(arn: &str, f: &File) -> String {
    format!(
        "<member><TrustStoreArn>{}</TrustStoreArn><RevocationId>{}</RevocationId><RevocationType>CRL</RevocationType>\
         <NumberOfRevokedEntries>{}</NumberOfRevokedEntries></member>",
        xml_escape(arn),
        f.id,
        f.entries
    )
}

fn page_size(form: &Form) -> Result<usize, Fault> {
    match form.get("PageSize") {
        None => Ok(400),
        Some(v) => match v.parse::<usize>() {
            Ok(n @ 1..=400) => Ok(n),
            _ => Err(validation(format!(
                "1 validation error detected: Value '{v}' at 'pageSize' failed to satisfy constraint: \
                 Member must have value between 1 and 400"
            ))),
        },
    }
}

/// Markers are opaque to clients; here, the position to resume at.
fn marker(form: &Form) -> Result<usize, Fault> {
    match form.get("Marker") {
        None => Ok(0),
        Some(m) => m.strip_prefix("next-").and_then(|n| n.parse().ok()).ok_or_else(|| validation("Invalid marker")),
    }
}

fn required<'f>(form: &'f Form, name: &str) -> Result<&'f str, Fault> {
    form.get(name).filter(|v| !v.is_empty()).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(name)
        ))
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_ascii_lowercase().to_string() + c.as_str()).unwrap_or_default()
}

/// Count the entries of one PEM CRL file as ELB would take it (the armor read by crlkit-der, the
/// CRL decoded by rasn-pkix), or say why not.
pub fn count_crl(bytes: &[u8]) -> Result<u64, Fault> {
    let invalid = |why: String| fault("InvalidRevocationContent", format!("The revocation file is invalid: {why}"));
    if bytes.len() > 50_000_000 {
        return Err(invalid(format!("{} bytes, over 50 MB", bytes.len())));
    }
    if !crlkit_der::pem::looks_like_pem(bytes) {
        return Err(invalid("not PEM (-----BEGIN X509 CRL-----)".into()));
    }
    let (blocks, _) = crlkit_der::pem::decode_crls(bytes).map_err(|e| invalid(e.to_string()))?;
    if blocks.len() != 1 {
        return Err(invalid(format!("{} CRLs in one file", blocks.len())));
    }
    // Counted by rasn-pkix, not crlkit-der: ELB's count is checked against crlkit's, and the
    // check means something only if the two counts come from different decoders.
    let crl: rasn_pkix::CertificateList = rasn::der::decode(&blocks[0].der).map_err(|e| invalid(e.to_string()))?;
    Ok(crl.tbs_cert_list.revoked_certificates.len() as u64)
}

impl State {
    /// The fault, if any, that the next call of `action` naming `arn` meets (used up).
    pub fn take_fault(&mut self, arn: &str, action: &str) -> Option<FaultKind> {
        let rule = self.faults.iter_mut().find(|f| f.arn == arn && f.action == action && f.times > 0)?;
        rule.times -= 1;
        let kind = rule.kind;
        self.faults.retain(|f| f.times > 0);
        Some(kind)
    }

    /// Answer one call of `action` signed for `region`.
    pub fn call(
        &mut self,
        action: &str,
        form: &Form,
        region: &str,
        s3: S3Read<'_>,
        content_base: &str,
    ) -> Result<String, Fault> {
        if self.throttle_all > 0 {
            self.throttle_all -= 1;
            self.throttled += 1;
            return Err(fault("Throttling", "Rate exceeded"));
        }
        // A call naming a trust store that is set to throttle.
        if let Some(arn) = form.get("TrustStoreArn").or_else(|| form.get("TrustStoreArns.member.1"))
            && let Some(t) = self.stores.get_mut(arn)
            && t.throttle_left > 0
        {
            t.throttle_left -= 1;
            self.throttled += 1;
            return Err(fault("Throttling", "Rate exceeded"));
        }
        if matches!(action, "AddTrustStoreRevocations" | "RemoveTrustStoreRevocations")
            && let Some(arn) = form.get("TrustStoreArn")
            && self.stores.get(arn).is_some_and(|t| t.creating_left > 0)
        {
            return Err(fault("TrustStoreNotReady", format!("Trust store '{arn}' is not ready (CREATING)")));
        }
        match action {
            "CreateTrustStore" => self.create(form, region, s3),
            "DeleteTrustStore" => {
                let arn = self.store(form, region)?.arn.clone();
                self.stores.remove(&arn);
                Ok(String::new())
            }
            "DescribeTrustStores" => self.describe_stores(form, region),
            "AddTrustStoreRevocations" => self.add(form, region, s3),
            "RemoveTrustStoreRevocations" => self.remove(form, region),
            "DescribeTrustStoreRevocations" => self.describe_revocations(form, region),
            "AddTags" => self.add_tags(form, region),
            "DescribeTags" => self.describe_tags(form, region),
            "GetTrustStoreRevocationContent" => {
                let t = self.store(form, region)?;
                let id = revocation_id(required(form, "RevocationId")?)?;
                if !t.files.iter().any(|f| f.id == id) {
                    return Err(fault("RevocationIdNotFound", format!("Revocation ID '{id}' not found")));
                }
                let url = format!("{content_base}/_content/{id}");
                Ok(format!("<Location>{}</Location>", xml_escape(&url)))
            }
            _ => Err(fault("InvalidAction", format!("The action {action} is not valid for this web service."))),
        }
    }

    /// The trust stores `ResourceArns` names (only trust stores live here).
    fn resources(&mut self, form: &Form, region: &str) -> Result<Vec<String>, Fault> {
        let arns = form.list("ResourceArns");
        if arns.is_empty() {
            return Err(validation("ResourceArns is required"));
        }
        for arn in &arns {
            match self.stores.get(*arn) {
                Some(t) if t.region == region => {}
                _ => return Err(fault("TrustStoreNotFound", format!("Trust store '{arn}' not found"))),
            }
        }
        Ok(arns.into_iter().map(str::to_owned).collect())
    }

    /// `AddTags`: each key's value replaced, or the tag added (at most 50 per resource).
    fn add_tags(&mut self, form: &Form, region: &str) -> Result<String, Fault> {
        let arns = self.resources(form, region)?;
        let mut tags = Vec::new();
        for i in form.members("Tags") {
            let key = required(form, &format!("Tags.member.{i}.Key"))?;
            if tags.iter().any(|(k, _)| k == key) {
                return Err(fault("DuplicateTagKeys", format!("A tag key was specified more than once: {key}")));
            }
            tags.push((key.to_owned(), form.get(&format!("Tags.member.{i}.Value")).unwrap_or("").to_owned()));
        }
        for arn in arns {
            let t = self.stores.get_mut(&arn).expect("checked");
            for (k, v) in &tags {
                match t.tags.iter_mut().find(|(key, _)| key == k) {
                    Some(tag) => tag.1.clone_from(v),
                    None => t.tags.push((k.clone(), v.clone())),
                }
            }
            if t.tags.len() > 50 {
                return Err(fault("TooManyTags", "You've reached the limit on the number of tags for this resource"));
            }
        }
        Ok(String::new())
    }

    /// `DescribeTags`.
    fn describe_tags(&mut self, form: &Form, region: &str) -> Result<String, Fault> {
        let arns = self.resources(form, region)?;
        let mut xml = String::from("<TagDescriptions>");
        for arn in arns {
            let _ = write!(xml, "<member><ResourceArn>{}</ResourceArn><Tags>", xml_escape(&arn));
            for (k, v) in &self.stores[&arn].tags {
                let _ = write!(xml, "<member><Key>{}</Key><Value>{}</Value></member>", xml_escape(k), xml_escape(v));
            }
            xml.push_str("</Tags></member>");
        }
        xml.push_str("</TagDescriptions>");
        Ok(xml)
    }

    /// The stored PEM of a revocation ID (what `GetTrustStoreRevocationContent` points at).
    pub fn content(&self, id: i64) -> Option<Bytes> {
        self.stores.values().flat_map(|t| &t.files).find(|f| f.id == id).map(|f| f.pem.clone())
    }

    fn store(&mut self, form: &Form, region: &str) -> Result<&mut TrustStore, Fault> {
        let arn = required(form, "TrustStoreArn")?;
        match self.stores.get_mut(arn) {
            Some(t) if t.region == region => Ok(t),
            _ => Err(fault("TrustStoreNotFound", format!("Trust store '{arn}' not found"))),
        }
    }

    fn create(&mut self, form: &Form, region: &str, s3: S3Read<'_>) -> Result<String, Fault> {
        let name = required(form, "Name")?;
        let valid =
            name.len() <= 32 && name.split('-').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !valid {
            return Err(validation(format!("Trust store name '{name}' is not valid")));
        }
        if self.stores.values().any(|t| t.name == name && t.region == region) {
            return Err(fault(
                "DuplicateTrustStoreName",
                format!("A trust store with the name '{name}' already exists"),
            ));
        }
        let bucket = required(form, "CaCertificatesBundleS3Bucket")?;
        let key = required(form, "CaCertificatesBundleS3Key")?;
        let bundle =
            s3(bucket, key, form.get("CaCertificatesBundleS3ObjectVersion")).ok().flatten().ok_or_else(|| {
                fault("CaCertificatesBundleNotFound", format!("CA certificates bundle 's3://{bucket}/{key}' not found"))
            })?;
        let certs = crlkit_der::pem::decode_all(&bundle)
            .map(|b| b.iter().filter(|b| b.label == "CERTIFICATE").count())
            .unwrap_or(0);
        if certs == 0 || certs > 25 {
            return Err(fault(
                "InvalidCaCertificatesBundle",
                format!("The CA bundle holds {certs} certificates (1 to 25)"),
            ));
        }
        let mut t = TrustStore {
            arn: String::new(),
            name: name.to_owned(),
            region: region.to_owned(),
            ca_certificates: certs as u32,
            files: Vec::new(),
            max_files: 30,
            max_entries: 500_000,
            throttle_left: 0,
            creating_left: 0,
            tags: Vec::new(),
        };
        for i in form.members("Tags") {
            let key = form.get(&format!("Tags.member.{i}.Key")).unwrap_or("");
            let value = form.get(&format!("Tags.member.{i}.Value")).unwrap_or("");
            let number = || value.parse::<u64>().map_err(|_| validation(format!("tag {key}: not a number")));
            match key {
                TAG_MAX_FILES => t.max_files = number()?,
                TAG_MAX_ENTRIES => t.max_entries = number()?,
                TAG_THROTTLE_FIRST => t.throttle_left = number()?,
                TAG_CREATING_DESCRIBES => t.creating_left = number()?,
                _ => {}
            }
            t.tags.push((key.to_owned(), value.to_owned()));
        }
        self.next_store += 1;
        t.arn = format!(
            "arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:truststore/{name}/{:016x}",
            0x7a3e_0000_0000_0000u64 + self.next_store
        );
        let xml = format!("<TrustStores>{}</TrustStores>", trust_store_xml(&t));
        self.stores.insert(t.arn.clone(), t);
        Ok(xml)
    }

    fn describe_stores(&mut self, form: &Form, region: &str) -> Result<String, Fault> {
        let arns = form.list("TrustStoreArns");
        let names = form.list("Names");
        let size = page_size(form)?;
        let start = marker(form)?;
        let mut selected = Vec::new();
        for arn in &arns {
            match self.stores.get(*arn) {
                Some(t) if t.region == region => selected.push(t),
                _ => return Err(fault("TrustStoreNotFound", format!("Trust store '{arn}' not found"))),
            }
        }
        for name in &names {
            match self.stores.values().find(|t| t.name == *name && t.region == region) {
                Some(t) => selected.push(t),
                None => return Err(fault("TrustStoreNotFound", format!("Trust store '{name}' not found"))),
            }
        }
        if arns.is_empty() && names.is_empty() {
            selected = self.stores.values().filter(|t| t.region == region).collect();
        }
        let page: Vec<_> = selected.iter().skip(start).take(size).collect();
        let mut xml = String::from("<TrustStores>");
        for t in &page {
            xml.push_str(&trust_store_xml(t));
        }
        xml.push_str("</TrustStores>");
        let shown: Vec<String> = page.iter().map(|t| t.arn.clone()).collect();
        if start + page.len() < selected.len() {
            let _ = write!(xml, "<NextMarker>next-{}</NextMarker>", start + page.len());
        }
        // A store shown CREATING is a step nearer ACTIVE.
        for arn in shown {
            let t = self.stores.get_mut(&arn).expect("shown");
            t.creating_left = t.creating_left.saturating_sub(1);
        }
        Ok(xml)
    }

    fn add(&mut self, form: &Form, region: &str, s3: S3Read<'_>) -> Result<String, Fault> {
        let arn = self.store(form, region)?.arn.clone();
        let mut counted = Vec::new();
        for i in form.members("RevocationContents") {
            let field = |f: &str| form.get(&format!("RevocationContents.member.{i}.{f}"));
            if let Some(kind) = field("RevocationType")
                && kind != "CRL"
            {
                return Err(validation(format!(
                    "Value '{kind}' at 'revocationType' failed to satisfy constraint: Member must satisfy enum value set: [CRL]"
                )));
            }
            let (Some(bucket), Some(key)) = (field("S3Bucket"), field("S3Key")) else {
                return Err(fault("InvalidRevocationContent", "S3Bucket and S3Key are required"));
            };
            let version = field("S3ObjectVersion");
            let not_found = || {
                fault("RevocationContentNotFound", format!("The revocation file 's3://{bucket}/{key}' was not found"))
            };
            let bytes = s3(bucket, key, version).map_err(|_| not_found())?.ok_or_else(not_found)?;
            counted.push((count_crl(&bytes)?, bytes));
        }
        let t = self.stores.get_mut(&arn).expect("looked up above");
        let adding: u64 = counted.iter().map(|(n, _)| n).sum();
        if t.files.len() as u64 + counted.len() as u64 > t.max_files {
            return Err(fault(
                "TooManyTrustStoreRevocationEntries",
                format!("The trust store would hold more than {} revocation files", t.max_files),
            ));
        }
        if t.total() + adding > t.max_entries {
            return Err(fault(
                "TooManyTrustStoreRevocationEntries",
                format!(
                    "The trust store would hold {} revoked entries, more than {}",
                    t.total() + adding,
                    t.max_entries
                ),
            ));
        }
        let mut xml = String::from("<TrustStoreRevocations>");
        let off = std::mem::take(&mut self.miscount);
        for (entries, pem) in counted {
            self.next_revocation_id += 1;
            let f = File { id: self.next_revocation_id, entries: entries.saturating_add_signed(off), pem };
            xml.push_str(&revocation_xml(&arn, &f));
            t.files.push(f);
        }
        xml.push_str("</TrustStoreRevocations>");
        Ok(xml)
    }

    fn remove(&mut self, form: &Form, region: &str) -> Result<String, Fault> {
        let ids = form.list("RevocationIds").into_iter().map(revocation_id).collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Err(validation(
                "1 validation error detected: Value null at 'revocationIds' failed to satisfy constraint: Member must not be null",
            ));
        }
        let t = self.store(form, region)?;
        if let Some(missing) = ids.iter().find(|id| !t.files.iter().any(|f| f.id == **id)) {
            return Err(fault("RevocationIdNotFound", format!("Revocation ID '{missing}' not found")));
        }
        t.files.retain(|f| !ids.contains(&f.id));
        Ok(String::new())
    }

    fn describe_revocations(&mut self, form: &Form, region: &str) -> Result<String, Fault> {
        let ids = form.list("RevocationIds").into_iter().map(revocation_id).collect::<Result<Vec<_>, _>>()?;
        let size = page_size(form)?;
        let start = marker(form)?;
        let t = self.store(form, region)?;
        if let Some(missing) = ids.iter().find(|id| !t.files.iter().any(|f| f.id == **id)) {
            return Err(fault("RevocationIdNotFound", format!("Revocation ID '{missing}' not found")));
        }
        let selected: Vec<&File> = t.files.iter().filter(|f| ids.is_empty() || ids.contains(&f.id)).collect();
        let page: Vec<_> = selected.iter().skip(start).take(size).collect();
        let mut xml = String::from("<TrustStoreRevocations>");
        for f in &page {
            xml.push_str(&revocation_xml(&t.arn, f));
        }
        xml.push_str("</TrustStoreRevocations>");
        if start + page.len() < selected.len() {
            let _ = write!(xml, "<NextMarker>next-{}</NextMarker>", start + page.len());
        }
        Ok(xml)
    }
}

fn revocation_id(v: &str) -> Result<i64, Fault> {
    v.parse().map_err(|_| validation(format!("Value '{v}' at 'revocationId' is not a long")))
}
