// The GOV.UK Frontend "js-enabled" classes, set before the page paints (no inline script: CSP).
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
