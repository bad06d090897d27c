using System.Net;
using LabelPlatform.Testing;

namespace LabelPlatform.Tests.Infrastructure;

public static class SignInExtensions
{
    /// <summary>Signs in through the login form, as a browser would; returns the signed-in client.</summary>
    public static async Task<HttpClient> SignInAsync(this PlatformFactory factory, string email, string password)
    {
        var client = factory.CreateBrowserClient();
        var response = await client.PostFormAsync("/Account/Login", new()
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        });
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"sign-in of {email} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return client;
    }

    public static Task<HttpClient> SignInAdminAsync(this PlatformFactory factory) => factory.SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);
}
