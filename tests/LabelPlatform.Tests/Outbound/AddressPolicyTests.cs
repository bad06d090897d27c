using System.Net;
using LabelPlatform.Core.Outbound;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Tests.Outbound;

public class AddressPolicyTests
{
    private static AddressPolicy Policy(params string[] allowed) => new(Options.Create(OutboundTesting.Options(allowed)));

    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("100.64.0.1", "CGNAT")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("192.0.2.1", "documentation")]
    [InlineData("255.255.255.255", "reserved")]
    [InlineData("::1", "loopback")]
    [InlineData("::", "unspecified")]
    [InlineData("::127.0.0.1", "IPv4-compatible")]
    [InlineData("fd00::1", "private")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("2001:db8::1", "documentation")]
    [InlineData("::ffff:127.0.0.1", "loopback")] // IPv4-mapped
    [InlineData("::ffff:10.0.0.1", "private")]
    [InlineData("64:ff9b::a9fe:a9fe", "link-local")] // NAT64 of 169.254.169.254
    public void Refuses_internal_ranges(string address, string range)
    {
        var refusal = Policy().Refusal(IPAddress.Parse(address));
        Assert.NotNull(refusal);
        Assert.Contains(range, refusal, StringComparison.Ordinal);
        Assert.Contains("not in Outbound:AllowedNetworks", refusal, StringComparison.Ordinal);
    }

    /// <summary>The three forms the crawler connected to on main: each carries a refused IPv4 address inside.</summary>
    [Theory]
    [InlineData("::ffff:0:7f00:1", "IPv4-translated", "127.0.0.1", "loopback")]
    [InlineData("::ffff:0:10.0.0.1", "IPv4-translated", "10.0.0.1", "private")]
    [InlineData("::ffff:0:169.254.169.254", "IPv4-translated", "169.254.169.254", "link-local")]
    [InlineData("2002:7f00:1::", "6to4", "127.0.0.1", "loopback")]
    [InlineData("2002:a9fe:a9fe::1", "6to4", "169.254.169.254", "link-local")]
    [InlineData("2002:c0a8:101:1::1", "6to4", "192.168.1.1", "private")]
    [InlineData("64:ff9b::7f00:1", "NAT64", "127.0.0.1", "loopback")]
    public void Refuses_the_IPv4_address_embedded_in_translated_6to4_and_NAT64_forms(string address, string form, string inner, string range)
    {
        var refusal = Policy().Refusal(IPAddress.Parse(address));

        Assert.NotNull(refusal);
        Assert.Contains(form, refusal, StringComparison.Ordinal);
        Assert.Contains($"of {inner}, which is {range}", refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("64:ff9b:1::7f00:1")]
    [InlineData("64:ff9b:1::5db8:d822")] // even with a public IPv4 address inside: the translator is the local network's
    [InlineData("64:ff9b:1:ffff::1")]
    public void Refuses_all_of_local_use_NAT64(string address) =>
        Assert.Contains("local-use NAT64 (64:ff9b:1::/48)", Policy().Refusal(IPAddress.Parse(address)), StringComparison.Ordinal);

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946")]
    [InlineData("::ffff:93.184.216.34")]
    [InlineData("::ffff:0:5db8:d822")] // IPv4-translated 93.184.216.34
    [InlineData("2002:5db8:d822::1")] // 6to4 of 93.184.216.34
    [InlineData("64:ff9b::5db8:d822")] // NAT64 of 93.184.216.34
    public void Lets_public_addresses_through(string address) => Assert.Null(Policy().Refusal(IPAddress.Parse(address)));

    [Fact]
    public void Allow_list_opens_exactly_its_ranges()
    {
        var policy = Policy("127.0.0.1/32", "fd00::/64");

        Assert.Null(policy.Refusal(IPAddress.Parse("127.0.0.1")));
        Assert.Null(policy.Refusal(IPAddress.Parse("::ffff:127.0.0.1"))); // the same destination
        Assert.NotNull(policy.Refusal(IPAddress.Parse("127.0.0.2")));
        Assert.NotNull(policy.Refusal(IPAddress.Parse("::ffff:0:127.0.0.1"))); // not the same destination: not opened
        Assert.NotNull(policy.Refusal(IPAddress.Parse("2002:7f00:1::")));
        Assert.Null(policy.Refusal(IPAddress.Parse("fd00::5")));
        Assert.NotNull(policy.Refusal(IPAddress.Parse("fd00:0:0:1::5")));
    }

    [Fact]
    public void A_zone_index_does_not_hide_a_link_local_address() =>
        Assert.Contains("link-local", Policy().Refusal(IPAddress.Parse("fe80::1%1")), StringComparison.Ordinal);

    [Fact]
    public void Bad_allow_list_entry_is_a_clear_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Policy("127.0.0.0/33"));
        Assert.Contains("Outbound:AllowedNetworks", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_allow_list_entry_fails_option_validation_naming_the_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Outbound:AllowedNetworks:0"] = "127.0.0.1/32",
            ["Outbound:AllowedNetworks:1"] = "localhost",
        }).Build();
        using var services = new ServiceCollection().AddOutbound(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<OutboundOptions>>().Value);

        Assert.Contains("Outbound:AllowedNetworks: 'localhost' is not an IP address or CIDR range", error.Message, StringComparison.Ordinal);
    }
}
