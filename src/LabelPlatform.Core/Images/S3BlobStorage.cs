using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Images;

/// <summary>
/// Blobs as objects in an S3 bucket (AWS or any S3-compatible server), under an optional key prefix. S3 makes an
/// object visible only once its whole body has arrived, and the Content-MD5 sent with each put makes the server refuse
/// a body that is not the one we hashed, so no partial or damaged object is ever stored under a key. Two processes
/// putting the same content-addressed key at once both write the same bytes: the put is idempotent.
/// </summary>
public sealed class S3BlobStorage : IBlobStorage, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly string _prefix;

    public S3BlobStorage(IOptions<ImageStorageOptions> options)
        : this(options.Value.S3)
    {
    }

    public S3BlobStorage(S3StorageOptions options)
    {
        _bucket = options.Bucket ?? throw new ArgumentException("S3 storage needs a bucket", nameof(options));
        _prefix = string.IsNullOrWhiteSpace(options.Prefix) ? "" : options.Prefix.Trim('/') + "/";
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            // Checksums only where an operation demands them: many S3-compatible servers do not understand the
            // SDK's newer trailing checksums; each put carries Content-MD5 instead, which every server checks.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (string.IsNullOrWhiteSpace(options.ServiceUrl))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }
        else
        {
            config.ServiceURL = options.ServiceUrl;
            config.AuthenticationRegion = options.Region;
        }

        _client = string.IsNullOrEmpty(options.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }

    public async Task PutIfAbsentAsync(string key, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (await ExistsAsync(key, cancellationToken))
        {
            return;
        }

        var body = MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);
        await using (body)
        {
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket,
                Key = ObjectKey(key),
                InputStream = body,
                AutoCloseStream = false,
#pragma warning disable CA5351 // Content-MD5 is S3's integrity check of the body, not a security measure (keys are SHA-256).
                MD5Digest = Convert.ToBase64String(MD5.HashData(bytes.Span)),
#pragma warning restore CA5351
                // One signed request with a known length: no aws-chunked body that older servers misread.
                UseChunkEncoding = false,
                ContentType = "application/octet-stream",
            }, cancellationToken);
        }
    }

    public async Task<BlobStream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = ObjectKey(key) }, cancellationToken);
            return new BlobStream(response.ResponseStream, response.ContentLength);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = ObjectKey(key) }, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = ObjectKey(key) }, cancellationToken);

    public string Describe(string key) => $"s3://{_bucket}/{ObjectKey(key)}";

    public void Dispose() => _client.Dispose();

    private string ObjectKey(string key) => _prefix + BlobKeys.Check(key);
}
