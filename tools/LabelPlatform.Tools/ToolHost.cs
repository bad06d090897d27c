using LabelPlatform.Core;
using LabelPlatform.Core.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LabelPlatform.Tools;

/// <summary>The platform's core services over an existing data folder, for tools that read what the platform stored.</summary>
internal static class ToolHost
{
    public static async Task<ServiceProvider> StartAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var contentRoot = ContentRoot.Locate();
        var configuration = new ConfigurationBuilder()
            .SetBasePath(contentRoot)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:DataDirectory"] = Path.GetFullPath(dataDirectory) })
            .Build();
        var services = new ServiceCollection()
            .AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).AddFilter("Microsoft", LogLevel.Warning))
            .AddPlatformCore(configuration, contentRoot)
            .BuildServiceProvider();
        await DatabaseInitializer.InitializeAsync(services, cancellationToken);
        return services;
    }
}
