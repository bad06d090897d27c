using LabelPlatform.Core.Data;
using LabelPlatform.Core.Settings;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Identity;

public static class IdentityServiceCollectionExtensions
{
    /// <summary>Accounts, roles, API tokens and the keys that sign cookies; "Identity:Admin" names the first admin.</summary>
    public static IServiceCollection AddPlatformIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSection<AdminAccountOptions>(configuration, AdminAccountOptions.Section);
        services.AddIdentityCore<PlatformUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 10;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PlatformDbContext>()
            .AddDefaultTokenProviders();

        // Keys sign auth and antiforgery cookies; kept in the data directory so sign-ins survive a restart.
        services.AddDataProtection().SetApplicationName("LabelPlatform");
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<StorageOptions>, ILoggerFactory>((o, storage, logs) =>
            o.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(storage.Value.RootPath, "keys")), logs));

        services.AddScoped<AdminSeeder>();
        services.AddSingleton<GeneratedAdminPassword>();
        services.AddSingleton<ApiTokenService>();
        services.AddScoped<UserAccess>();
        return services;
    }
}
