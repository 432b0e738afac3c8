"""Drive the trust-store emulator with boto3 and assert what boto3 parses.

Run by tests/boto3.rs with: ELB (emulator endpoint), S3 (moto endpoint), PEM (a 1,000-entry
CRL as PEM), SMALL (an empty CRL as PEM), DER (the same CRL as DER), BUNDLE (a CA certificate).
Every error code is asserted as boto3's modelled exception class, which boto3 builds from the
botocore model: a code the model does not know would come back as a plain ClientError.
"""
import os
import sys
import urllib.parse
import urllib.request
import uuid

import boto3
import botocore
from botocore.config import Config

ELB, S3 = os.environ["ELB"], os.environ["S3"]
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1


def client(region="us-east-1", key="crlkit-test", secret="crlkit-test-secret", attempts=1):
    return boto3.client(
        "elbv2",
        endpoint_url=ELB,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


def raises(call, exception, code):
    try:
        call()
    except exception as e:
        check(e.response["Error"]["Code"] == code, f"{code}: parsed code {e.response['Error']['Code']}")
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403), f"{code}: HTTP status")
        return e
    except botocore.exceptions.ClientError as e:
        check(False, f"expected {exception.__name__}, got ClientError {e.response['Error']}")
    check(False, f"expected {exception.__name__}, nothing raised")


s3 = boto3.client("s3", endpoint_url=S3, region_name="us-east-1",
                  aws_access_key_id="crlkit-test", aws_secret_access_key="crlkit-test-secret")
bucket = "boto3-proof-" + uuid.uuid4().hex[:8]
s3.create_bucket(Bucket=bucket)
for key, var in [("big.pem", "PEM"), ("small.pem", "SMALL"), ("crl.der", "DER"), ("ca.pem", "BUNDLE")]:
    with open(os.environ[var], "rb") as f:
        s3.put_object(Bucket=bucket, Key=key, Body=f.read())

elb = client()
E = elb.exceptions

# CreateTrustStore / DescribeTrustStores: shapes and types as the model says.
made = elb.create_trust_store(Name="proof", CaCertificatesBundleS3Bucket=bucket, CaCertificatesBundleS3Key="ca.pem",
                              Tags=[{"Key": "crlkit-emulator:max-revocation-files", "Value": "7"},
                                    {"Key": "crlkit-emulator:max-revoked-entries", "Value": "1500"}])
store = made["TrustStores"][0]
arn = store["TrustStoreArn"]
check(arn.startswith("arn:aws:elasticloadbalancing:us-east-1:123456789012:truststore/proof/"), arn)
check(store["Status"] == "ACTIVE" and store["NumberOfCaCertificates"] == 1 and store["TotalRevokedEntries"] == 0, store)
raises(lambda: elb.create_trust_store(Name="proof", CaCertificatesBundleS3Bucket=bucket,
                                      CaCertificatesBundleS3Key="ca.pem"), E.DuplicateTrustStoreNameException,
       "DuplicateTrustStoreName")
raises(lambda: elb.create_trust_store(Name="nobundle", CaCertificatesBundleS3Bucket=bucket,
                                      CaCertificatesBundleS3Key="missing.pem"), E.CaCertificatesBundleNotFoundException,
       "CaCertificatesBundleNotFound")
raises(lambda: elb.create_trust_store(Name="crlbundle", CaCertificatesBundleS3Bucket=bucket,
                                      CaCertificatesBundleS3Key="small.pem"), E.InvalidCaCertificatesBundleException,
       "InvalidCaCertificatesBundle")
described = elb.describe_trust_stores(TrustStoreArns=[arn])["TrustStores"]
check(len(described) == 1 and described[0]["Name"] == "proof", described)

# AddTrustStoreRevocations: the count is crlkit-der's count of the CRL read from S3.
added = elb.add_trust_store_revocations(TrustStoreArn=arn, RevocationContents=[
    {"S3Bucket": bucket, "S3Key": "big.pem", "RevocationType": "CRL"}])["TrustStoreRevocations"]
check(len(added) == 1, added)
first = added[0]
check(isinstance(first["RevocationId"], int) and first["RevocationType"] == "CRL", first)
check(first["NumberOfRevokedEntries"] == 1000 and first["TrustStoreArn"] == arn, first)
check(elb.describe_trust_stores(TrustStoreArns=[arn])["TrustStores"][0]["TotalRevokedEntries"] == 1000, "total")

raises(lambda: elb.add_trust_store_revocations(TrustStoreArn=arn, RevocationContents=[
    {"S3Bucket": bucket, "S3Key": "crl.der"}]), E.InvalidRevocationContentException, "InvalidRevocationContent")
raises(lambda: elb.add_trust_store_revocations(TrustStoreArn=arn, RevocationContents=[
    {"S3Bucket": bucket, "S3Key": "nothing.pem"}]), E.RevocationContentNotFoundException, "RevocationContentNotFound")
# 1,000 + 1,000 entries > the 1,500 this store allows.
raises(lambda: elb.add_trust_store_revocations(TrustStoreArn=arn, RevocationContents=[
    {"S3Bucket": bucket, "S3Key": "big.pem"}]), E.TooManyTrustStoreRevocationEntriesException,
       "TooManyTrustStoreRevocationEntries")
missing_arn = arn[:-4] + "ffff"
raises(lambda: elb.describe_trust_store_revocations(TrustStoreArn=missing_arn), E.TrustStoreNotFoundException,
       "TrustStoreNotFound")
raises(lambda: elb.describe_trust_stores(TrustStoreArns=[missing_arn]), E.TrustStoreNotFoundException,
       "TrustStoreNotFound")
raises(lambda: elb.remove_trust_store_revocations(TrustStoreArn=arn, RevocationIds=[first["RevocationId"] + 99]),
       E.RevocationIdNotFoundException, "RevocationIdNotFound")
# A store exists only in its region.
raises(lambda: client("eu-west-1").describe_trust_store_revocations(TrustStoreArn=arn), E.TrustStoreNotFoundException,
       "TrustStoreNotFound")

# Files: six small ones fit (7 per store here), the next does not.
ids = [first["RevocationId"]]
for _ in range(6):
    r = elb.add_trust_store_revocations(TrustStoreArn=arn, RevocationContents=[
        {"S3Bucket": bucket, "S3Key": "small.pem"}])["TrustStoreRevocations"][0]
    check(r["NumberOfRevokedEntries"] == 0, r)
    ids.append(r["RevocationId"])
check(ids == sorted(ids) and len(set(ids)) == len(ids), f"IDs grow: {ids}")
raises(lambda: elb.add_trust_store_revocations(TrustStoreArn=arn, RevocationContents=[
    {"S3Bucket": bucket, "S3Key": "small.pem"}]), E.TooManyTrustStoreRevocationEntriesException,
       "TooManyTrustStoreRevocationEntries")

# Paging: PageSize 2 over 7 files, through boto3's own paginator and by hand.
pages = list(elb.get_paginator("describe_trust_store_revocations").paginate(
    TrustStoreArn=arn, PaginationConfig={"PageSize": 2}))
check(len(pages) == 4 and all("NextMarker" in p for p in pages[:-1]) and "NextMarker" not in pages[-1], pages)
paged = [r["RevocationId"] for p in pages for r in p["TrustStoreRevocations"]]
check(paged == ids, f"paged {paged} != {ids}")
one = elb.describe_trust_store_revocations(TrustStoreArn=arn, RevocationIds=[ids[0]])["TrustStoreRevocations"]
check([r["NumberOfRevokedEntries"] for r in one] == [1000], one)
err = raises(lambda: elb.describe_trust_store_revocations(TrustStoreArn=arn, PageSize=401),
             botocore.exceptions.ClientError, "ValidationError")

# IDs are never reused: remove the newest, add again, get a higher one.
elb.remove_trust_store_revocations(TrustStoreArn=arn, RevocationIds=[ids[-1]])
again = elb.add_trust_store_revocations(TrustStoreArn=arn, RevocationContents=[
    {"S3Bucket": bucket, "S3Key": "small.pem"}])["TrustStoreRevocations"][0]["RevocationId"]
check(again > ids[-1], f"{again} reuses or goes below {ids[-1]}")

location = elb.get_trust_store_revocation_content(TrustStoreArn=arn, RevocationId=ids[0])["Location"]
check(location.startswith(ELB), location)

# Throttling: the first two calls naming this store are throttled; boto3's standard retries
# absorb them, a client without retries sees the code.
throttled = elb.create_trust_store(Name="throttled", CaCertificatesBundleS3Bucket=bucket,
                                   CaCertificatesBundleS3Key="ca.pem",
                                   Tags=[{"Key": "crlkit-emulator:throttle-first", "Value": "3"}])
tarn = throttled["TrustStores"][0]["TrustStoreArn"]
raises(lambda: elb.describe_trust_store_revocations(TrustStoreArn=tarn), botocore.exceptions.ClientError, "Throttling")
retrying = client(attempts=3)
r = retrying.describe_trust_store_revocations(TrustStoreArn=tarn)
check(r["ResponseMetadata"]["RetryAttempts"] == 2 and r["TrustStoreRevocations"] == [], r["ResponseMetadata"])

# A trust store still CREATING (its first describe), refusing adds with the modelled
# TrustStoreNotReady until then; and tags, as AddTags and DescribeTags carry them.
creating = elb.create_trust_store(Name="creating", CaCertificatesBundleS3Bucket=bucket,
                                  CaCertificatesBundleS3Key="ca.pem",
                                  Tags=[{"Key": "crlkit-emulator:creating-describes", "Value": "1"}])
carn = creating["TrustStores"][0]["TrustStoreArn"]
raises(lambda: elb.add_trust_store_revocations(TrustStoreArn=carn, RevocationContents=[
    {"S3Bucket": bucket, "S3Key": "small.pem"}]), E.TrustStoreNotReadyException, "TrustStoreNotReady")
check(elb.describe_trust_stores(TrustStoreArns=[carn])["TrustStores"][0]["Status"] == "CREATING", "CREATING")
check(elb.describe_trust_stores(TrustStoreArns=[carn])["TrustStores"][0]["Status"] == "ACTIVE", "then ACTIVE")
elb.add_tags(ResourceArns=[carn], Tags=[{"Key": "crlkit-ledger-0123456789ab", "Value": "s3://b/crl/.crlkit/ledger.json"}])
elb.add_tags(ResourceArns=[carn], Tags=[{"Key": "crlkit-ledger-0123456789ab", "Value": "s3://b/x/.crlkit/ledger.json"}])
tags = elb.describe_tags(ResourceArns=[carn])["TagDescriptions"]
check(tags[0]["ResourceArn"] == carn, tags)
check({t["Key"]: t["Value"] for t in tags[0]["Tags"]}["crlkit-ledger-0123456789ab"] == "s3://b/x/.crlkit/ledger.json",
      f"AddTags replaces a key's value: {tags}")
raises(lambda: elb.add_tags(ResourceArns=[carn], Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]),
       E.DuplicateTagKeysException, "DuplicateTagKeys")
elb.delete_trust_store(TrustStoreArn=carn)
raises(lambda: elb.describe_tags(ResourceArns=[carn]), E.TrustStoreNotFoundException, "TrustStoreNotFound")

# Signatures: a wrong secret, an unknown key, an expired one.
raises(lambda: client(secret="wrong").describe_trust_stores(), botocore.exceptions.ClientError, "SignatureDoesNotMatch")
raises(lambda: client(key="nobody").describe_trust_stores(), botocore.exceptions.ClientError, "InvalidClientTokenId")
raises(lambda: client(key="crlkit-expired", secret="crlkit-expired-secret").describe_trust_stores(),
       botocore.exceptions.ClientError, "ExpiredToken")

elb.delete_trust_store(TrustStoreArn=tarn)
raises(lambda: elb.delete_trust_store(TrustStoreArn=tarn), E.TrustStoreNotFoundException, "TrustStoreNotFound")


# Faults set at run time (POST /_faults), as boto3 sees them on the wire.
def control(path, **fields):
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(urllib.request.Request(ELB + path, data=data)) as r:
        check(r.status == 200, f"{path} answered {r.status}")
        return r.read().decode()


def fault(arn, action, times=1, **kind):
    control("/_faults", TrustStoreArn=arn, Action=action, Times=str(times), **kind)


def revocations(arn):
    return elb.describe_trust_store_revocations(TrustStoreArn=arn)["TrustStoreRevocations"]


farn = elb.create_trust_store(Name="faults", CaCertificatesBundleS3Bucket=bucket,
                              CaCertificatesBundleS3Key="ca.pem")["TrustStores"][0]["TrustStoreArn"]
small = {"S3Bucket": bucket, "S3Key": "small.pem"}
first = elb.add_trust_store_revocations(TrustStoreArn=farn, RevocationContents=[small])["TrustStoreRevocations"][0]
# A modelled error: boto3's own exception class, and nothing done.
fault(farn, "RemoveTrustStoreRevocations", Kind="error", Code="RevocationIdNotFound")
raises(lambda: elb.remove_trust_store_revocations(TrustStoreArn=farn, RevocationIds=[first["RevocationId"]]),
       E.RevocationIdNotFoundException, "RevocationIdNotFound")
check(len(revocations(farn)) == 1, "a faulted remove removes nothing")
# A 500: boto3's standard mode retries it.
fault(farn, "DescribeTrustStoreRevocations", times=2, Kind="error", Code="InternalFailure")
r = retrying.describe_trust_store_revocations(TrustStoreArn=farn)
check(r["ResponseMetadata"]["RetryAttempts"] == 2 and len(r["TrustStoreRevocations"]) == 1, r["ResponseMetadata"])
# A miscount: the add's answer and every later Describe say one entry more than the CRL holds.
fault(farn, "AddTrustStoreRevocations", Kind="miscount", By="1")
big = elb.add_trust_store_revocations(TrustStoreArn=farn, RevocationContents=[
    {"S3Bucket": bucket, "S3Key": "big.pem"}])["TrustStoreRevocations"][0]
check(big["NumberOfRevokedEntries"] == 1001, big)
check([x["NumberOfRevokedEntries"] for x in revocations(farn)] == [0, 1001], revocations(farn))
# A lost answer: the add takes effect, the connection closes unanswered, boto3 retries: two adds.
fault(farn, "AddTrustStoreRevocations", Kind="drop-after-commit")
before = control("/_calls", TrustStoreArn=farn).split().count("AddTrustStoreRevocations")
again = retrying.add_trust_store_revocations(TrustStoreArn=farn, RevocationContents=[small])
check(again["ResponseMetadata"]["RetryAttempts"] == 1, again["ResponseMetadata"])
check(len(revocations(farn)) == 4, f"the lost add and its retry both took effect: {revocations(farn)}")
check(control("/_calls", TrustStoreArn=farn).split().count("AddTrustStoreRevocations") == before + 2, "two adds logged")
# A delay past the client's read timeout: boto3 gives up on the answer.
fault(farn, "DescribeTrustStores", Kind="delay", Millis="3000")
impatient = boto3.client("elbv2", endpoint_url=ELB, region_name="us-east-1", aws_access_key_id="crlkit-test",
                         aws_secret_access_key="crlkit-test-secret",
                         config=Config(read_timeout=1, retries={"mode": "standard", "total_max_attempts": 1}))
try:
    impatient.describe_trust_stores(TrustStoreArns=[farn])
    check(False, "a delayed answer was not a read timeout")
except botocore.exceptions.ReadTimeoutError:
    check(True, "read timeout")
elb.delete_trust_store(TrustStoreArn=farn)
# The Private CA front: moto plays Private CA behind it (its answers and errors passed on as
# they are), and the front answers what moto does not as AWS does.
pca = boto3.client("acm-pca", endpoint_url=ELB, region_name="eu-west-1", aws_access_key_id="crlkit-test",
                   aws_secret_access_key="crlkit-test-secret",
                   config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
ca = pca.create_certificate_authority(
    CertificateAuthorityConfiguration={"KeyAlgorithm": "EC_prime256v1", "SigningAlgorithm": "SHA256WITHECDSA",
                                       "Subject": {"CommonName": "front"}},
    CertificateAuthorityType="ROOT")["CertificateAuthorityArn"]
raises(lambda: pca.revoke_certificate(CertificateAuthorityArn=ca, CertificateSerial="0a:0b",
                                      RevocationReason="KEY_COMPROMISE"),
       pca.exceptions.InvalidStateException, "InvalidStateException")
pca.import_certificate_authority_certificate(CertificateAuthorityArn=ca, Certificate=open(os.environ["BUNDLE"], "rb").read())
check(pca.describe_certificate_authority(CertificateAuthorityArn=ca)["CertificateAuthority"]["Status"] == "ACTIVE",
      "passed on to moto")
revoke = lambda serial: pca.revoke_certificate(CertificateAuthorityArn=ca, CertificateSerial=serial,  # noqa: E731
                                               RevocationReason="KEY_COMPROMISE")
check(revoke("0a:0b")["ResponseMetadata"]["HTTPStatusCode"] == 200, "revoked")
raises(lambda: revoke("0a:0b"), pca.exceptions.RequestAlreadyProcessedException, "RequestAlreadyProcessedException")
control("/_pca", ThrottleEvery="1")
try:
    revoke("0a:0c")
    check(False, "a throttled revoke went through")
except botocore.exceptions.ClientError as e:
    check(e.response["Error"]["Code"] == "ThrottlingException", e.response["Error"])
control("/_pca", ThrottleEvery="0")
log = control("/_pca_calls").splitlines()
check([line.split(" ", 1)[1] for line in log if line.startswith(ca + " ")]
      == ["0a:0b 400", "0a:0b revoked", "0a:0b already-revoked", "0a:0c throttled"], log)
print(f"boto3 proof: {checks} checks passed")
