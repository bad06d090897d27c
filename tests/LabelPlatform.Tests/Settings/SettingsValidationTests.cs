using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using LabelPlatform.Core;
using LabelPlatform.Core.Settings;
using LabelPlatform.Jobs;
using LabelPlatform.Web.Cli;
using LabelPlatform.Web.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Tests.Settings;

/// <summary>
/// Every configuration section is validated when a process starts: a value out of range stops it naming the key and
/// the allowed range, instead of being clamped where it is used or failing half-way through a job.
/// </summary>
public class SettingsValidationTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "labelplatform-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Every options class of the platform: a public class with a configuration section name.</summary>
    public static IReadOnlyList<Type> OptionsTypes { get; } =
    [
        .. new[] { typeof(CoreServiceCollectionExtensions).Assembly, typeof(PlatformHangfireOptions).Assembly, typeof(SignInProtectionOptions).Assembly }
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => t is { IsClass: true, IsAbstract: false } && t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true }),
    ];

    private static string SectionOf(Type type) => (string)type.GetField("Section")!.GetRawConstantValue()!;

    private ServiceProvider AllServices(Dictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddPlatformCore(configuration, _data);
        services.AddPlatformJobs(configuration, runServer: false);
        services.AddSignInProtection(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Every_options_class_is_registered_with_a_validator_that_names_its_section()
    {
        using var services = AllServices();
        Assert.True(OptionsTypes.Count >= 10, $"found only {OptionsTypes.Count} options classes: {string.Join(", ", OptionsTypes.Select(t => t.Name))}");
        foreach (var type in OptionsTypes)
        {
            var validators = ((IEnumerable<object>)services.GetServices(typeof(IValidateOptions<>).MakeGenericType(type))).ToList();
            var section = validators.Select(v => v.GetType().GetProperty(nameof(SectionValidator<object>.Section))?.GetValue(v) as string).SingleOrDefault(s => s is not null);
            Assert.True(section == SectionOf(type), $"{type.Name} has no section validator (found {validators.Count} validators)");
        }
    }

    public static TheoryData<string, string, string> OutOfRangeValues()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var type in OptionsTypes)
        {
            foreach (var property in type.GetProperties().Where(p => p.GetCustomAttribute<RangeAttribute>() is not null))
            {
                var range = property.GetCustomAttribute<RangeAttribute>()!;
                data.Add(type.FullName!, property.Name, Below(property.PropertyType, range.Minimum));
                if (Above(property.PropertyType, range.Maximum) is { } above)
                {
                    data.Add(type.FullName!, property.Name, above);
                }
            }
        }

        return data;
    }

    private static string Below(Type type, object minimum) => type == typeof(TimeSpan)
        ? (TimeSpan.Parse(minimum.ToString()!, CultureInfo.InvariantCulture) - TimeSpan.FromTicks(1)).ToString("c", CultureInfo.InvariantCulture)
        : (Convert.ToDecimal(minimum, CultureInfo.InvariantCulture) - 1).ToString(CultureInfo.InvariantCulture);

    private static string? Above(Type type, object maximum)
    {
        if (type == typeof(TimeSpan))
        {
            return (TimeSpan.Parse(maximum.ToString()!, CultureInfo.InvariantCulture) + TimeSpan.FromTicks(1)).ToString("c", CultureInfo.InvariantCulture);
        }

        var above = Convert.ToDecimal(maximum, CultureInfo.InvariantCulture) + 1;
        // int.MaxValue + 1 cannot be bound to an int at all: that is the binder's error, covered separately.
        return type == typeof(int) && above > int.MaxValue || type == typeof(long) && above > long.MaxValue ? null : above.ToString(CultureInfo.InvariantCulture);
    }

    [Theory]
    [MemberData(nameof(OutOfRangeValues))]
    public void A_value_outside_its_range_is_refused_naming_the_key_and_the_range(string typeName, string property, string value)
    {
        var type = OptionsTypes.Single(t => t.FullName == typeName);
        var key = $"{SectionOf(type)}:{property}";
        using var services = AllServices(new() { [key] = value });

        var problems = StartupSettings.Problems(services);

        var problem = Assert.Single(problems);
        Assert.StartsWith($"{key} = ", problem, StringComparison.Ordinal);
        Assert.Contains("must be between", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_and_the_shipped_appsettings_are_valid()
    {
        var shipped = new ConfigurationBuilder().AddJsonFile(Path.Combine(SharedPaths.RepoRoot, "appsettings.json")).Build();
        using var services = AllServices(shipped.AsEnumerable().ToDictionary(p => p.Key, p => p.Value));

        Assert.Empty(StartupSettings.Problems(services));
    }

    [Fact]
    public void A_value_that_is_not_a_number_or_a_duration_is_refused_naming_the_key()
    {
        using var services = AllServices(new() { ["Jobs:LeaseDuration"] = "soon" });

        var problem = Assert.Single(StartupSettings.Problems(services));
        Assert.Contains("Jobs:LeaseDuration", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_database_provider_is_refused_naming_the_key_and_the_value()
    {
        using var services = AllServices(new() { ["Database:Provider"] = "Oracle" });

        var problem = Assert.Single(StartupSettings.Problems(services));
        Assert.StartsWith("Database:Provider: 'Oracle' is not a database provider", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Postgres_without_a_connection_string_is_refused_naming_the_connection_string_key()
    {
        using var services = AllServices(new() { ["Database:Provider"] = "Postgres" });

        var problem = Assert.Single(StartupSettings.Problems(services));
        Assert.Contains("ConnectionStrings:Platform must be set when Database:Provider = Postgres", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_bad_values_are_all_named_at_once()
    {
        using var services = AllServices(new() { ["Jobs:LeaseDuration"] = "00:00:00", ["Import:BatchSize"] = "0", ["Identity:Admin:Email"] = "not-an-address" });

        var problems = StartupSettings.Problems(services);

        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Jobs:LeaseDuration = 00:00:00", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Import:BatchSize = 0", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Identity:Admin:Email = not-an-address", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Jobs:LeaseDuration", "00:00:00")]
    [InlineData("Import:BatchSize", "0")]
    [InlineData("Embeddings:ThreadsPerSession", "0")]
    [InlineData("Hangfire:WorkerCount", "0")]
    [InlineData("Crawler:Concurrency", "-3")]
    [InlineData("Jobs:LeaseDuration", "later")]
    [InlineData("Database:Provider", "Mysql")]
    public async Task The_cli_exits_with_2_naming_the_key_before_it_imports_anything(string key, string value)
    {
        using var folder = new Infrastructure.ImportFolder().AddCaltech("accordion", 2);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var settings = new Dictionary<string, string?> { ["Storage:DataDirectory"] = _data, ["Identity:Admin:Password"] = "Admin-Passw0rd!", [key] = value };

        var code = await PlatformCli.RunAsync(["import", "--dataset", "bad-settings", "--path", folder.Root], stdout, stderr, settings);

        Assert.Equal(2, code);
        Assert.Contains($"error: invalid configuration: {key}", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal("", stdout.ToString());
        Assert.False(Directory.Exists(Path.Combine(_data, "images")), "images were stored although the configuration was refused");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            if (Directory.Exists(_data))
            {
                Directory.Delete(_data, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }
}
