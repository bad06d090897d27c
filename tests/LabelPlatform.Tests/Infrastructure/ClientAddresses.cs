using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Infrastructure;

/// <summary>
/// Lets one test play several clients: a request's X-Test-Client header becomes its remote address (the test
/// server has no sockets). Only tests install this; the app itself never trusts a header for the address.
/// </summary>
public static class ClientAddresses
{
    public const string Header = "X-Test-Client";

    public static PlatformFactory WithClientAddresses(this PlatformFactory factory) =>
        factory.WithServices(services => services.AddSingleton<IStartupFilter, Filter>());

    public static HttpClient As(this HttpClient client, string address)
    {
        client.DefaultRequestHeaders.Remove(Header);
        client.DefaultRequestHeaders.Add(Header, address);
        return client;
    }

    private sealed class Filter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                if (IPAddress.TryParse(http.Request.Headers[Header].ToString(), out var address))
                {
                    http.Connection.RemoteIpAddress = address;
                }

                return nextMiddleware(http);
            });
            next(app);
        };
    }
}
