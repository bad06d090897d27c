using Hangfire;
using Hangfire.Dashboard;
using LabelPlatform.Core;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Jobs;
using LabelPlatform.Web.Endpoints;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace LabelPlatform.Web.Hosting;

public static class PlatformHosting
{
    /// <summary>Everything the web app needs: core services, jobs, identity, pages and health checks.</summary>
    public static WebApplicationBuilder AddPlatform(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddPlatformCore(builder.Configuration, builder.Environment.ContentRootPath);
        services.AddPlatformJobs(builder.Configuration);
        services.AddPlatformIdentity();
        services.AddSignInProtection(builder.Configuration);
        services.AddProblemDetails();
        services.AddPlatformPages();
        services.AddOpenApi();
        services.AddHealthChecks()
            .AddDbContextCheck<PlatformDbContext>("database")
            .AddCheck<HangfireStorageHealthCheck>("hangfire")
            .AddCheck<InferenceHealthCheck>("inference");
        return builder;
    }

    public static IServiceCollection AddPlatformIdentity(this IServiceCollection services)
    {
        new IdentityBuilder(typeof(PlatformUser), typeof(IdentityRole), services).AddSignInManager();
        services.AddAuthentication(IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null)
            .AddIdentityCookies();
        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/Account/Login";
            o.LogoutPath = "/Account/Logout";
            o.AccessDeniedPath = "/Error";
            o.Cookie.Name = "LabelPlatform.Auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromHours(12);
            // Roles, disabling and password changes reach open sessions on their next request.
            o.Events.OnValidatePrincipal = SessionRevalidation.ValidatePrincipalAsync;
            o.Events.OnRedirectToAccessDenied = context =>
            {
                // A signed-in user without the role gets a 403 (rendered by the status-code page), not a redirect.
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
            o.Events.OnRedirectToLogin = context =>
            {
                if (context.Request.Path.StartsWithSegments("/api"))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return Task.CompletedTask;
                }

                context.Response.Redirect(context.RedirectUri);
                return Task.CompletedTask;
            };
        });

        // A signed-in user without any role sees the home page's "ask an admin" message and nothing else.
        var member = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireRole(Roles.All).Build();
        // Unmatched /api requests (405, 415, 404) are judged by the fallback: a valid API token counts there too.
        var fallback = new AuthorizationPolicyBuilder(IdentityConstants.ApplicationScheme, ApiTokenAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser().RequireRole(Roles.All).Build();
        services.AddAuthorizationBuilder()
            // Anything without its own rule needs a role (login page, /health and the error page say otherwise).
            .SetFallbackPolicy(fallback)
            .AddPolicy(Policies.Member, member)
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(Policies.Reviewer, p => p.RequireRole(Roles.Reviewer, Roles.Admin))
            .AddPolicy(Policies.Labeller, p => p.RequireRole(Roles.Labeller, Roles.Reviewer, Roles.Admin))
            // The JSON API: a signed-in user with a role, or a script holding an API token whose owner has one.
            .AddPolicy(SearchApi.Policy, p => p.AddAuthenticationSchemes(IdentityConstants.ApplicationScheme, ApiTokenAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser().RequireRole(Roles.All));
        return services;
    }

    public static IServiceCollection AddPlatformPages(this IServiceCollection services)
    {
        services.AddScoped<ArchiveUploadLimitsFilter>();
        services.AddScoped<ModelUploadLimitsFilter>();
        services.AddScoped<QueryImageUploadLimitsFilter>();
        services.AddRazorPages(o =>
        {
            // Signed in: the home page (which tells a user without a role to ask for one) and signing out.
            o.Conventions.AuthorizeFolder("/");
            o.Conventions.AuthorizeFolder("/Datasets", Policies.Member);
            o.Conventions.AuthorizeFolder("/Images", Policies.Member);
            o.Conventions.AuthorizeFolder("/Search", Policies.Member);
            o.Conventions.AllowAnonymousToPage("/Account/Login");
            o.Conventions.AllowAnonymousToPage("/Error");
            o.Conventions.AuthorizeFolder("/Admin", Policies.Admin);
            o.Conventions.AuthorizeFolder("/Review", Policies.Reviewer);
            // Evaluation reports and exports: reviewers and admins; starting a run lives under /Admin/Evaluations.
            o.Conventions.AuthorizeFolder("/Evaluation", Policies.Reviewer);
            o.Conventions.AuthorizeFolder("/Label", Policies.Labeller);
            // Archive and model uploads may be large: those pages alone get body limits raised to their configured caps.
            o.Conventions.AddPageApplicationModelConvention("/Admin/Datasets/Import", model =>
                model.Filters.Add(new ServiceFilterAttribute(typeof(ArchiveUploadLimitsFilter)) { Order = UploadLimitsFilter.RunFirst }));
            o.Conventions.AddPageApplicationModelConvention("/Admin/Models/Index", model =>
                model.Filters.Add(new ServiceFilterAttribute(typeof(ModelUploadLimitsFilter)) { Order = UploadLimitsFilter.RunFirst }));
            o.Conventions.AddPageApplicationModelConvention("/Search/Index", model =>
                model.Filters.Add(new ServiceFilterAttribute(typeof(QueryImageUploadLimitsFilter)) { Order = UploadLimitsFilter.RunFirst }));
        });
        services.AddAntiforgery(o => o.Cookie.Name = "LabelPlatform.Antiforgery");
        return services;
    }

    public static Task InitializePlatformAsync(this WebApplication app) => DatabaseInitializer.InitializeAsync(app.Services, app.Lifetime.ApplicationStopping);

    public static WebApplication UsePlatform(this WebApplication app)
    {
        app.UseSecurityHeaders();
        // /api answers problem documents; pages get the HTML error page.
        app.UseApiProblems();
        app.UseWhen(http => !ApiProblems.IsApi(http), pages =>
        {
            if (!app.Environment.IsDevelopment())
            {
                pages.UseExceptionHandler("/Error");
            }

            pages.UseStatusCodePagesWithReExecute("/Error", "?code={0}");
        });
        app.UseStaticFiles();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapHealthChecks("/health", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { ResponseWriter = HealthReports.WriteAsync }).AllowAnonymous();
        app.MapHangfireDashboard(SecurityHeaders.DashboardPath, new DashboardOptions
        {
            // Endpoint authorization (the Admin policy) replaces Hangfire's local-requests-only default.
            Authorization = [],
            AsyncAuthorization = [],
            DashboardTitle = "LabelPlatform jobs (Hangfire)",
            AppPath = "/Admin/Jobs",
        }).RequireAuthorization(Policies.Admin);
        app.MapImageEndpoints();
        app.MapSearchApi();
        app.MapLabelApi();
        app.MapMapApi();
        app.MapReviewApi();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapJobEndpoints();
        app.MapRazorPages();
        return app;
    }
}

/// <summary>Answers /health for Hangfire's storage: it must be reachable for jobs to run.</summary>
internal sealed class HangfireStorageHealthCheck(JobStorage storage) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var stats = storage.GetMonitoringApi().GetStatistics();
            return Task.FromResult(Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy($"{stats.Servers} server(s), {stats.Enqueued} enqueued"));
        }
        catch (Exception ex)
        {
            return Task.FromResult(Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("Hangfire storage unreachable", ex));
        }
    }
}
