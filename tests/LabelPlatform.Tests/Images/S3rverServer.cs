using System.Diagnostics;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using LabelPlatform.Core.Images;

namespace LabelPlatform.Tests.Images;

/// <summary>
/// A real S3-protocol server (npm's s3rver, from the repository's node_modules) on a loopback port it picks itself,
/// over a temp directory, with one bucket; stopped and removed on dispose. No node or no package is a failure that
/// says to run npm ci, never a skip: the S3 store would otherwise go untested.
/// </summary>
public sealed partial class S3rverServer : IAsyncLifetime
{
    public const string Bucket = "labelplatform-test";

    // s3rver's built-in account.
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"labelplatform-s3rver-{Guid.NewGuid():N}");
    private Process? _process;

    public string ServiceUrl { get; private set; } = "";

    public S3StorageOptions Options(string? prefix = null) => new()
    {
        Bucket = Bucket, Prefix = prefix, ServiceUrl = ServiceUrl, ForcePathStyle = true, Region = "us-east-1", AccessKey = AccessKey, SecretKey = SecretKey,
    };

    /// <summary>Settings that put a platform's images in this server's bucket under <paramref name="prefix"/>.</summary>
    public IEnumerable<(string Key, string Value)> Settings(string prefix) =>
    [
        ("Storage:Images:Kind", "S3"), ("Storage:Images:S3:Bucket", Bucket), ("Storage:Images:S3:Prefix", prefix),
        ("Storage:Images:S3:ServiceUrl", ServiceUrl), ("Storage:Images:S3:AccessKey", AccessKey), ("Storage:Images:S3:SecretKey", SecretKey),
    ];

    /// <summary>A raw client, to look at the bucket without the code under test.</summary>
    public AmazonS3Client Client() => new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
    {
        ServiceURL = ServiceUrl, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    public async Task InitializeAsync()
    {
        var root = RepositoryRoot();
        var script = Path.Combine(root, "node_modules", "s3rver", "bin", "s3rver.js");
        Assert.True(File.Exists(script), $"s3rver is not installed ({script} is missing): run `npm ci` in {root} (tests/run.sh does)");
        Directory.CreateDirectory(_directory);
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { script, "-d", _directory, "-a", "127.0.0.1", "-p", "0" })
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            _process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"node is not on PATH ({ex.Message}): install Node.js and run `npm ci` in {root}");
        }

        var errors = new System.Text.StringBuilder();
        _process.ErrorDataReceived += (_, e) => errors.AppendLine(e.Data);
        _process.BeginErrorReadLine();
        // Port 0: the server takes a free port and says which, so no other process can take it in between.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await _process.StandardOutput.ReadLineAsync(deadline.Token)
                ?? throw new InvalidOperationException($"s3rver exited before listening: {errors}");
            if (Listening().Match(line) is { Success: true } match)
            {
                ServiceUrl = $"http://127.0.0.1:{match.Groups[1].Value}";
                break;
            }
        }

        // Keep draining its log so it never blocks on a full pipe.
        _ = _process.StandardOutput.ReadToEndAsync();
        using var client = Client();
        await client.PutBucketAsync(Bucket);
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LabelPlatform.sln")) && File.Exists(Path.Combine(dir.FullName, "package.json")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no repository root above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"listening on [^\s:]+:(\d+)")]
    private static partial Regex Listening();
}
