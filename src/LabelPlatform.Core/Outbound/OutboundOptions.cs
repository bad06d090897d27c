using System.ComponentModel.DataAnnotations;

namespace LabelPlatform.Core.Outbound;

/// <summary>Bound from "Outbound": what every request the platform makes (crawl, archive import, model download) may reach.</summary>
public sealed class OutboundOptions
{
    public const string Section = "Outbound";

    /// <summary>
    /// CIDR ranges let through although they are loopback, private, link-local, CGNAT, multicast or unspecified (e.g.
    /// "127.0.0.1/32" for a test server). Empty: only public addresses are reachable.
    /// </summary>
    [CidrList]
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>Redirects a download follows, each hop checked again (the crawler has its own Crawler:MaxRedirects).</summary>
    [Range(0, 20)]
    public int MaxRedirects { get; set; } = 5;

    /// <summary>Longest wait for a TCP connection.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Longest wait for a download's response headers (the whole transfer has its own, longer deadline).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ResponseHeadersTimeout { get; set; } = TimeSpan.FromMinutes(1);

    [Required]
    public string DownloadUserAgent { get; set; } = "LabelPlatform/1.0 (dataset import)";
}

/// <summary>Every entry is an IP address or a CIDR range.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class CidrListAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var bad = (value as IEnumerable<string> ?? []).Where(t => !string.IsNullOrWhiteSpace(t) && !IpNetwork.TryParse(t, "allowed", out _)).ToList();
        return bad.Count == 0
            ? ValidationResult.Success
            : new ValidationResult($"{AddressPolicy.AllowedKey}: {string.Join(", ", bad.Select(b => $"'{b}'"))} is not an IP address or CIDR range (e.g. 127.0.0.0/8)",
                [validationContext.MemberName ?? nameof(OutboundOptions.AllowedNetworks)]);
    }
}
