using System.ComponentModel.DataAnnotations;

namespace LabelPlatform.Core.Images;

/// <summary>The values of <see cref="ImageStorageOptions.Kind"/>.</summary>
public static class ImageStorageKinds
{
    public const string FileSystem = "FileSystem";
    public const string S3 = "S3";
}

/// <summary>
/// Where stored images and thumbnails live. Bound from "Storage:Images". FileSystem (default) keeps them under
/// <see cref="Path"/> (a local folder or a mounted network share; empty = the data directory, as before); S3 keeps them
/// in a bucket of any S3-compatible server.
/// </summary>
public sealed class ImageStorageOptions : IValidatableObject
{
    public const string Section = "Storage:Images";

    /// <summary>FileSystem or S3 (a string, so a wrong value is reported by key and value rather than by the binder).</summary>
    public string Kind { get; set; } = ImageStorageKinds.FileSystem;

    public bool IsS3 => string.Equals(Kind, ImageStorageKinds.S3, StringComparison.OrdinalIgnoreCase);

    /// <summary>FileSystem: the folder that holds images/ and thumbs/; relative paths start at the content root.</summary>
    public string? Path { get; set; }

    public S3StorageOptions S3 { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IsS3 && !string.Equals(Kind, ImageStorageKinds.FileSystem, StringComparison.OrdinalIgnoreCase))
        {
            yield return new ValidationResult($"'{Kind}' is not a kind of image storage: must be {ImageStorageKinds.FileSystem} or {ImageStorageKinds.S3}", [nameof(Kind)]);
        }

        if (!IsS3)
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(S3.Bucket))
        {
            yield return new ValidationResult("must be set when Kind is S3", ["S3:Bucket"]);
        }

        if (string.IsNullOrWhiteSpace(S3.Region))
        {
            yield return new ValidationResult("must be set (any value, e.g. us-east-1, for servers that ignore it)", ["S3:Region"]);
        }

        if (!string.IsNullOrWhiteSpace(S3.ServiceUrl) && !Uri.TryCreate(S3.ServiceUrl, UriKind.Absolute, out _))
        {
            yield return new ValidationResult($"must be an absolute URL, not '{S3.ServiceUrl}'", ["S3:ServiceUrl"]);
        }

        if (string.IsNullOrEmpty(S3.AccessKey) != string.IsNullOrEmpty(S3.SecretKey))
        {
            yield return new ValidationResult("AccessKey and SecretKey are set together, or neither (then the SDK's default credentials apply)", ["S3:AccessKey", "S3:SecretKey"]);
        }

        if (S3.Prefix is { Length: > 0 } prefix && !IsKeyPrefix(prefix.Trim('/')))
        {
            yield return new ValidationResult($"'{prefix}' is not a key prefix (lower-case letters, digits, '-', '_', '.', separated by '/')", ["S3:Prefix"]);
        }
    }

    private static bool IsKeyPrefix(string prefix)
    {
        try
        {
            BlobKeys.Check(prefix);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>An S3 bucket (AWS or any S3-compatible server: MinIO, Ceph, s3rver...).</summary>
public sealed class S3StorageOptions
{
    public string? Bucket { get; set; }

    /// <summary>Keys start with this (e.g. "labelplatform"): several platforms can share one bucket.</summary>
    public string? Prefix { get; set; }

    /// <summary>Endpoint of a non-AWS server (http://minio:9000); empty = AWS in <see cref="Region"/>.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>Path-style addressing (http://host/bucket/key), which most non-AWS servers need.</summary>
    public bool ForcePathStyle { get; set; } = true;

    public string Region { get; set; } = "us-east-1";

    /// <summary>Static credentials; leave both empty to use the SDK's default chain (environment, profile, instance role).</summary>
    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }
}
