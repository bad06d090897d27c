using System.Net;
using LabelPlatform.Core.Outbound;

namespace LabelPlatform.Tests.Outbound;

/// <summary>The guard at connect time: refused addresses never get a socket, whatever the URL or the DNS answer said.</summary>
public class ConnectGuardTests
{
    /// <summary>On main, none of the three was refused: the crawler attempted connections to all of them.</summary>
    [Theory]
    [InlineData("[::ffff:0:7f00:1]", "IPv4-translated (RFC 2765) of 127.0.0.1")]
    [InlineData("[2002:7f00:1::]", "6to4 (RFC 3056) of 127.0.0.1")]
    [InlineData("[64:ff9b:1::7f00:1]", "local-use NAT64 (64:ff9b:1::/48)")]
    [InlineData("[64:ff9b::7f00:1]", "NAT64 (RFC 6052) of 127.0.0.1")]
    public async Task A_literal_IPv6_form_carrying_loopback_is_refused_before_connecting(string host, string reason)
    {
        await using var canary = Canary.Start();
        using var fetcher = OutboundTesting.Fetcher(null);

        var result = await OutboundTesting.GetAsync(fetcher, canary.Url(host));

        Assert.Equal(FetchStatus.Blocked, result.Status);
        Assert.StartsWith("blocked before connecting:", result.Reason, StringComparison.Ordinal);
        Assert.Contains(reason, result.Reason, StringComparison.Ordinal);
        Assert.Equal(0, canary.Hits);
    }

    /// <summary>
    /// DNS rebinding: the name is public when checked before the request and internal when the connection is made.
    /// The connect callback resolves again and refuses before it creates a socket (a socket to an address nothing
    /// listens on would end as a network error, not as "blocked at connect").
    /// </summary>
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::ffff:0:7f00:1")]
    [InlineData("2002:7f00:1::")]
    [InlineData("64:ff9b:1::7f00:1")]
    [InlineData("64:ff9b::7f00:1")]
    public async Task A_name_that_turns_internal_after_the_check_is_refused_in_the_connect_callback(string second)
    {
        await using var canary = Canary.Start();
        var resolver = Rebinding(second);
        using var fetcher = OutboundTesting.Fetcher(resolver);

        var result = await OutboundTesting.GetAsync(fetcher, canary.Url("rebind.test"));

        Assert.Equal(FetchStatus.Blocked, result.Status);
        Assert.StartsWith("blocked at connect: address", result.Reason, StringComparison.Ordinal);
        Assert.Equal(2, resolver.Calls("rebind.test"));
        Assert.Equal(0, canary.Hits);
    }

    [Fact]
    public async Task The_connect_callback_throws_for_a_refused_address_without_connecting()
    {
        await using var canary = Canary.Start();
        var resolver = new MapResolver(new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase) { ["inside.test"] = ["::ffff:0:7f00:1", "127.0.0.1"] });
        var guard = new NetworkGuard(new AddressPolicy(Microsoft.Extensions.Options.Options.Create(OutboundTesting.Options())), resolver);

        var error = await Assert.ThrowsAsync<BlockedAddressException>(() => guard.ConnectAsync(new DnsEndPoint("inside.test", canary.Port), CancellationToken.None));

        Assert.Contains("IPv4-translated (RFC 2765) of 127.0.0.1", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, canary.Hits);
    }

    [Theory]
    [InlineData("xn--orhcp.0.0.1")] // what IDNA makes of enclosed digits
    [InlineData("example.1")]
    [InlineData("printer.0x7f.")]
    public async Task A_host_name_ending_in_a_number_is_refused_without_asking_DNS(string host)
    {
        var resolver = new MapResolver(new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase) { [host] = ["127.0.0.1"] });
        var guard = new NetworkGuard(new AddressPolicy(Microsoft.Extensions.Options.Options.Create(OutboundTesting.Options("127.0.0.1/32"))), resolver);

        var (usable, refusal) = await guard.ResolveAsync(host, CancellationToken.None);

        Assert.Empty(usable);
        Assert.Contains("ends in a number but is not an IP address", refusal, StringComparison.Ordinal);
        Assert.Equal(0, resolver.Calls(host));
    }

    /// <summary>The control: the same rebinding name with loopback opened reaches the canary, so its count of 0 means something.</summary>
    [Fact]
    public async Task With_loopback_opened_the_rebinding_name_reaches_the_canary()
    {
        await using var canary = Canary.Start();
        using var fetcher = OutboundTesting.Fetcher(Rebinding("127.0.0.1"), "127.0.0.1/32");

        var result = await OutboundTesting.GetAsync(fetcher, canary.Url("rebind.test"));

        Assert.Equal(FetchStatus.Ok, result.Status);
        Assert.Equal(Canary.Secret, System.Text.Encoding.ASCII.GetString(result.Body!));
        Assert.Equal(1, canary.Hits);
    }

    private static MapResolver Rebinding(string second) => new(new Dictionary<string, Func<int, IPAddress[]>>(StringComparer.OrdinalIgnoreCase)
    {
        ["rebind.test"] = call => call == 1 ? [IPAddress.Parse("93.184.216.34")] : [IPAddress.Parse(second)],
    });
}
