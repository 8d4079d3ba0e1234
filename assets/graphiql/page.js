// The gateway's GraphiQL page: a sign-in (or a pasted token) kept for this browser tab's
// session, and a fetcher that sends it. Nothing here, or in the files it loads, leaves the
// gateway's own origin.
(function () {
  'use strict';
  var endpoint = '/graphql';
  var storage = window.sessionStorage;
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  var form = document.getElementById('sign-in');
  var signedIn = document.getElementById('signed-in');
  var status = document.getElementById('status');
  var generation = 0;

  function say(text, ok) {
    status.textContent = text || '';
    status.className = ok ? 'ok' : '';
  }

  function token() {
    return storage.getItem('steering-gateway.token');
  }

  async function post(body, bearer) {
    var headers = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json;q=0.9',
    };
    if (bearer) headers.authorization = 'Bearer ' + bearer;
    var response = await fetch(endpoint, {
      method: 'POST',
      headers: headers,
      body: JSON.stringify(body),
    });
    var answer = await response.json();
    return { status: response.status, answer: answer };
  }

  async function fetcher(params) {
    var sent = token();
    var result = await post(params, sent);
    if (result.status === 401 && sent) {
      signOut('The session ended (' + firstMessage(result.answer) + '): sign in again.');
    }
    return result.answer;
  }

  function firstMessage(answer) {
    return (answer && answer.errors && answer.errors[0] && answer.errors[0].message) || 'no answer';
  }

  function render() {
    generation += 1;
    var who = storage.getItem('steering-gateway.user');
    form.hidden = Boolean(token());
    signedIn.hidden = !token();
    document.getElementById('who').textContent = who || 'the pasted token';
    var params = new URLSearchParams(window.location.search);
    // A new key mounts GraphiQL again, so that it reads the schema with the new token.
    root.render(
      React.createElement(GraphiQL, {
        key: generation,
        fetcher: fetcher,
        defaultQuery: token()
          ? '# Signed in: the documentation explorer (top left) shows the schema.\n{\n  me {\n    username\n    assignments {\n      role\n      unit { code name }\n    }\n  }\n}\n'
          : '# Sign in above to explore the schema.\n',
        initialQuery: params.get('query') || undefined,
        initialVariables: params.get('variables') || undefined,
        shouldPersistHeaders: false,
        isHeadersEditorEnabled: false,
      })
    );
  }

  function signOut(message) {
    storage.removeItem('steering-gateway.token');
    storage.removeItem('steering-gateway.user');
    say(message || 'Signed out.', !message);
    render();
  }

  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    var data = new FormData(form);
    say('Signing in…', true);
    try {
      var result = await post({
        query: 'mutation SignIn($username: String!, $password: String!) { login(username: $username, password: $password) { token expiresAt user { username } } }',
        variables: { username: data.get('username'), password: data.get('password') },
      });
      var login = result.answer.data && result.answer.data.login;
      if (!login) {
        say(firstMessage(result.answer));
        return;
      }
      storage.setItem('steering-gateway.token', login.token);
      storage.setItem('steering-gateway.user', login.user.username);
      form.reset();
      say('Signed in until ' + new Date(login.expiresAt).toLocaleString() + '.', true);
      render();
    } catch (error) {
      say('The gateway did not answer: ' + error.message);
    }
  });

  document.getElementById('use-token').addEventListener('click', function () {
    var pasted = form.elements.token.value.trim().replace(/^Bearer\s+/i, '');
    if (!pasted) {
      say('Paste an access token first.');
      return;
    }
    storage.setItem('steering-gateway.token', pasted);
    storage.removeItem('steering-gateway.user');
    form.reset();
    say('Using the pasted token.', true);
    render();
  });

  document.getElementById('sign-out').addEventListener('click', function () {
    signOut();
  });

  render();
})();
