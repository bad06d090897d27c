using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Threading.RateLimiting;
using LabelPlatform.Core.Settings;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Web.Hosting;

/// <summary>"Identity:SignIn": how hard guessing passwords is made, per client (an IP address; IPv6 by its /64).</summary>
public sealed class SignInProtectionOptions
{
    public const string Section = "Identity:SignIn";

    /// <summary>Sign-in attempts (right or wrong) one client may send per <see cref="Window"/>; more get 429.</summary>
    [Range(1, 10_000)]
    public int PermitLimit { get; set; } = 20;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Wrong passwords one client may send per <see cref="FailureWindow"/> before its attempts are refused.</summary>
    [Range(1, 1000)]
    public int FailureLimit { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);
}

public static class SignInProtection
{
    public const string RateLimitPolicy = "sign-in";
    private const int SegmentsPerWindow = 6;

    /// <summary>The client a request counts against: its address, IPv6 by the /64 a host usually holds.</summary>
    public static string ClientKey(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            address = new IPAddress(bytes);
        }

        return address.ToString();
    }

    public static IServiceCollection AddSignInProtection(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSection<SignInProtectionOptions>(configuration, SignInProtectionOptions.Section);
        services.AddSingleton<FailedSignIns>();
        services.AddScoped<PasswordSignIn>();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Only the form posts count; showing the sign-in page is free.
            o.AddPolicy(RateLimitPolicy, http =>
            {
                if (!HttpMethods.IsPost(http.Request.Method))
                {
                    return RateLimitPartition.GetNoLimiter("page");
                }

                var options = http.RequestServices.GetRequiredService<IOptions<SignInProtectionOptions>>().Value;
                return RateLimitPartition.GetSlidingWindowLimiter(ClientKey(http), _ => new SlidingWindowRateLimiterOptions
                {
                    PermitLimit = options.PermitLimit,
                    Window = options.Window,
                    SegmentsPerWindow = SegmentsPerWindow,
                    QueueLimit = 0,
                });
            });
            o.OnRejected = (context, _) =>
            {
                // The sliding window gives no retry time: a segment of the window is when a permit comes back at the latest.
                var options = context.HttpContext.RequestServices.GetRequiredService<IOptions<SignInProtectionOptions>>().Value;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var metadata) ? metadata : options.Window / SegmentsPerWindow;
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

                // The status-code page explains it ("too many attempts, wait a minute").
                return ValueTask.CompletedTask;
            };
        });
        return services;
    }
}
