using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LabelPlatform.Web.Pages;

/// <summary>Friendly page for status codes (403, 404) and unhandled errors; keeps the original status code.</summary>
[IgnoreAntiforgeryToken]
public class ErrorModel : PageModel
{
    public string Title { get; private set; } = "Something went wrong";
    public string Explanation { get; private set; } = "The error was logged. Try again, or tell an admin what you were doing.";

    public void OnGet(int? code) => Describe(code);

    public void OnPost(int? code) => Describe(code);

    private void Describe(int? code)
    {
        (Title, Explanation) = code switch
        {
            403 => ("Access denied", "Your account does not have the role this page needs. Ask an admin if you should."),
            404 => ("Not found", "There is nothing at this address."),
            400 => ("Bad request", "The request could not be understood (for a form: reload the page and send it again)."),
            413 => ("Too large", "The upload is over the size cap."),
            429 => ("Too many attempts", "Too many sign-in attempts from your address. Wait a minute, then try again."),
            _ => (Title, Explanation),
        };
    }
}
